using System.Text.Json;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;
using Snapcat.Contracts.Server;
using Snapcat.Server.Tests.Fixtures;

namespace Snapcat.Server.Tests.TapeFlows;

/// <summary>
/// Issue 15.9 on real processes (array, agent and server daemons): a cancelled copy to tape takes its files back off
/// the cartridge before it reports cancelled, and a cartridge whose backups are all deleted is recycled through the
/// server (<c>snapcat tape recycle</c>), refused while the catalog still lists a backup on it.
/// </summary>
[Collection("tape-flows")]
public sealed class TapeRecycleTests
{
    [Fact]
    public async Task A_cancelled_copy_to_tape_cuts_its_own_tail_before_it_reports_cancelled()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape(capacity: "512M", volumeSize: "96M", serverProcess: true));
        var (_, disk) = await rig.MirrorBackupAsync(seed: 51);
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest())));
        string cartridge = Path.Combine(rig.LibraryDirectory, "SC0001.aws");
        byte[] afterFirst = File.ReadAllBytes(cartridge);

        var job = await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest());
        await Poll.UntilAsync(async () => (await rig.Client.GetJobAsync(job.Id)).State.IsFinal() || new FileInfo(cartridge).Length > afterFirst.Length + (4 << 20),
            TimeSpan.FromSeconds(120), "the second copy writing to SC0001");
        await rig.Client.CancelJobAsync(job.Id);
        var done = await rig.WaitAsync(job);
        Assert.True(done.State == JobState.Cancelled, $"{done.State} {done.ErrorCode} {done.ErrorMessage}");

        // Reported cancelled only once the cartridge is back to what it was: no INCOMPLETE file set wastes it.
        Assert.Equal(afterFirst, File.ReadAllBytes(cartridge));
        var c = Assert.Single(await rig.Client.ListCartridgesAsync());
        Assert.Equal("SC0001/0001", Assert.Single(c.Backups).MediaId);
        Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = ServerRig.TapeLibraryId }));
        var next = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest())));
        Assert.Equal("SC0001/0004", next.Result!["mediaId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_cartridge_is_recycled_through_the_server_only_once_the_catalog_lists_no_backup_on_it()
    {
        // 6 MiB cartridges, 4 MiB backups: the second copy starts on SC0001 and continues on SC0002.
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape(capacity: "6M", serverProcess: true));
        var (data, disk) = await rig.MirrorBackupAsync(seed: 52);
        var ids = new List<long>();
        for (int i = 0; i < 2; i++)
            ids.Add(ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest()))).Result!["copy"]!.GetValue<long>());
        Assert.Equal(["SC0001/0001", "SC0001/0004"], (await Task.WhenAll(ids.Select(id => rig.Client.GetBackupAsync(id)))).Select(b => b.MediaId));
        string[] server = rig.ServerArgs;
        async Task<Tool.Result> Recycle(string volser) => await SnapcatBinary.RunAsync(["tape", "recycle", volser, "--output", "json", .. server]);

        // SC0002 holds the rest of backup 2 (which starts on SC0001): refused while the catalog lists it.
        var refused = await Recycle("SC0002");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("tape.recycle.in_catalog", refused.Stdout + refused.Stderr);
        Assert.Contains($"backup {ids[1]}", refused.Stdout + refused.Stderr);
        refused = await Recycle("SC0001");
        Assert.Contains("tape.recycle.in_catalog", refused.Stdout + refused.Stderr);
        var missing = await Recycle("SC0009");
        Assert.Contains("tape.cartridge_not_found", missing.Stdout + missing.Stderr);

        // Backup 2 deleted (its row; the files stay on tape): SC0002 holds nothing listed any more and is recycled.
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.DeleteBackupAsync(ids[1])));
        var ok = await Recycle("SC0002");
        Assert.True(ok.ExitCode == 0, ok.Stdout + ok.Stderr);
        var recycled = JsonDocument.Parse(ok.Stdout).RootElement;
        Assert.Equal("empty", recycled.GetProperty("state").GetString());
        Assert.Contains("recycled", recycled.GetProperty("tailCuts")[0].GetProperty("reason").GetString());
        Assert.Equal(98, new FileInfo(Path.Combine(rig.LibraryDirectory, "SC0002.aws")).Length); // VOL1 TM TM
        // SC0001 still holds backup 1: refused.
        Assert.Contains("tape.recycle.in_catalog", (await Recycle("SC0001")).Stderr);

        // Backup 1 restores byte-exact; after deleting it SC0001 is recycled too and new copies use both again.
        var restoreTarget = await rig.Array.CreateVolumeAsync(rig.VolumeSize);
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.RestoreAsync(ids[0], new RestoreRequest(DeviceId: ServerRig.TapeArray, Volume: restoreTarget.Number))));
        Assert.Equal(LunData.Hash(data), await rig.HashVolumeAsync(restoreTarget.Number, 9));
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.DeleteBackupAsync(ids[0])));
        Assert.True((await Recycle("SC0001")).ExitCode == 0);
        Assert.Equal(["empty", "empty"], (await rig.Client.ListCartridgesAsync()).Select(c => c.State));
        var again = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest())));
        Assert.Equal("SC0001/0001", again.Result!["mediaId"]!.GetValue<string>());
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.VerifyBackupAsync(again.Result!["copy"]!.GetValue<long>())));

        // A cartridge name that is not a volume serial is a clear error, not a server fault.
        var bad = await Assert.ThrowsAsync<SnapcatException>(() => rig.Client.RecycleCartridgeAsync("sc-1"));
        Assert.Equal("tape.label.volume_serial", bad.Code);
    }
}
