using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Snapcat.TestKit;
using Snapcat.Server.Tests.Fixtures;

namespace Snapcat.Server.Tests.EndToEnd;

/// <summary>
/// Issue 15.1 on real processes: <c>backup restore ID --to-device D --to-volume N</c> of a disk backup
/// restores onto volume N of D and leaves the production primary alone; the backup volume itself and
/// unknown targets are refused with a clear error, before anything is written.
/// </summary>
public sealed class RestoreTargetTests
{
    [Fact]
    public async Task A_disk_backup_restored_to_a_named_volume_lands_there_and_not_on_the_primary()
    {
        if (!Tool.Exists("nbdcopy"))
        {
            Console.WriteLine("SKIPPED restore target test: needs nbdcopy");
            return;
        }
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.System("ARRAY-RT"));
        string original = rig.Dir.Combine("original.img"), changed = rig.Dir.Combine("changed.img");
        File.WriteAllBytes(original, RandomNumberGenerator.GetBytes(32 << 20));
        File.WriteAllBytes(changed, RandomNumberGenerator.GetBytes(32 << 20));
        await rig.WritePrimaryAsync(original);
        string originalSha = await rig.HashPrimaryAsync();

        await rig.CliOkAsync(rig.MirrorArgs("rt-mirror", "rt"));
        await rig.CliOkAsync("backup", "run", "rt-mirror", "--wait");
        string id = JsonNode.Parse(await rig.CliOkAsync("backup", "list", "-o", "json"))!.AsArray().Single()!["id"]!.ToString();

        // Production moves on; the target is a fresh volume of the same size, reachable at port B LUN 3.
        await rig.WritePrimaryAsync(changed);
        string changedSha = await rig.HashPrimaryAsync();
        uint target = (await rig.Array.CreateVolumeAsync(rig.VolumeSize)).Number;
        await rig.Array.AssignAsync(target, rig.PortB, 3, readOnly: false);

        // Refused: the backup volume itself, a volume the array does not have, an array the server does not know.
        var self = await ServerRig.CliAsync(["backup", "restore", id, "--to-device", rig.DeviceId, "--to-volume", rig.Secondary.ToString(), "--wait", .. rig.Conn]);
        Assert.NotEqual(0, self.Code);
        Assert.Contains("restore.target_is_backup_volume", self.Err);
        var unknown = await ServerRig.CliAsync(["backup", "restore", id, "--to-device", rig.DeviceId, "--to-volume", "99", "--wait", .. rig.Conn]);
        Assert.NotEqual(0, unknown.Code);
        Assert.Contains("restore.target_unknown", unknown.Err);
        var noArray = await ServerRig.CliAsync(["backup", "restore", id, "--to-device", "ARRAY-NOPE", "--to-volume", "3", "--wait", .. rig.Conn]);
        Assert.NotEqual(0, noArray.Code);
        Assert.Contains("array.unknown", noArray.Err);
        Assert.Equal(changedSha, await rig.HashPrimaryAsync());

        // The restore goes to the named volume, byte-exact; the primary keeps production's data.
        await rig.CliOkAsync("backup", "restore", id, "--to-device", rig.DeviceId, "--to-volume", target.ToString(), "--wait");
        Assert.Equal(originalSha, await LunData.HashLunAsync(rig.PortB, 3));
        Assert.Equal(changedSha, await rig.HashPrimaryAsync());
        // A restored volume is a volume, not a second backup: it carries no volume information.
        Assert.Null(await rig.Array.GetVolumeInfoAsync(target));
        Assert.Single(JsonNode.Parse(await rig.CliOkAsync("backup", "list", "-o", "json"))!.AsArray());
    }
}
