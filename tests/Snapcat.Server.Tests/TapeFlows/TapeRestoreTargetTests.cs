using Snapcat.Core.Errors;
using Snapcat.Core.VolumeInformation;
using Snapcat.Contracts.Server;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.TapeFlows;

/// <summary>
/// Issue 15.8 with a real array daemon and a real agent daemon: a restore from tape refuses a target a host uses
/// unless forced, and restoring onto a backup volume replaces that volume's volume information and catalog row.
/// </summary>
[Collection("tape-flows")]
public sealed class TapeRestoreTargetTests
{
    [Fact]
    public async Task A_tape_restore_refuses_a_volume_in_use_and_replaces_the_backup_on_a_backup_volume()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape());
        var (dataA, diskA) = await rig.MirrorBackupAsync(seed: 61, label: "a");
        long tapeA = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(diskA.Id, new TapeCopyRequest()))).Result!["copy"]!.GetValue<long>();
        // A newer disk backup overwrites the secondary (its row replaces A's disk row): the secondary now holds backup B.
        var (dataB, diskB) = await rig.MirrorBackupAsync(seed: 62, label: "b");
        Assert.Equal(rig.Secondary.ToString(), diskB.MediaId);

        // The primary is assigned read-write to the host's port and is a mirror primary: refused without force,
        // before any job runs, and nothing on it changes.
        var inUse = await Assert.ThrowsAsync<SnapcatException>(() =>
            rig.Client.RestoreAsync(tapeA, new RestoreRequest(DeviceId: ServerRig.TapeArray, Volume: rig.Primary)));
        Assert.Equal("restore.target_in_use", inUse.Code);
        Assert.Contains($"port {rig.PortA} LUN 1 read-write", inUse.Message);
        Assert.Equal(LunData.Hash(dataB), await rig.HashVolumeAsync(rig.Primary, 9));

        // The secondary holds backup B: refused without force.
        var isBackup = await Assert.ThrowsAsync<SnapcatException>(() =>
            rig.Client.RestoreAsync(tapeA, new RestoreRequest(DeviceId: ServerRig.TapeArray, Volume: rig.Secondary)));
        Assert.Equal("restore.target_is_backup", isBackup.Code);

        // Forced: backup A replaces B on the secondary — data, volume information and catalog row.
        var done = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.RestoreAsync(tapeA,
            new RestoreRequest(DeviceId: ServerRig.TapeArray, Volume: rig.Secondary, Force: true))));
        Assert.True(done.Result!["replaced"]!.GetValue<bool>());
        Assert.Equal(LunData.Hash(dataA), await rig.HashVolumeAsync(rig.Secondary, 9));
        var info = VolumeInfoRecord.Decode((await rig.Array.GetVolumeInfoAsync(rig.Secondary))!);
        Assert.Equal((diskA.BackupId, "a"), (info.BackupId, info.Label));
        var onArray = Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = ServerRig.TapeArray }));
        Assert.Equal((diskA.BackupId, rig.Secondary.ToString(), "copy"), (onArray.BackupId, onArray.MediaId, onArray.Origin));
        Assert.Equal(done.Result!["copy"]!.GetValue<long>(), onArray.Id);
        Assert.DoesNotContain(await rig.Client.SearchBackupsAsync(new BackupDataFilter()), r => r.BackupId == diskB.BackupId); // B's row is gone
        Assert.Contains(done.Log, l => l.Message.Contains("removed its volume information and 1 catalog row(s)"));

        // Forced onto the primary (the host unmounted it): overwritten, with a warning in the job log.
        var forced = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.RestoreAsync(tapeA,
            new RestoreRequest(DeviceId: ServerRig.TapeArray, Volume: rig.Primary, Force: true))));
        Assert.Contains(forced.Log, l => l.Level == "warn" && l.Message.Contains("in use"));
        Assert.Null(forced.Result!["replaced"]);
        Assert.Equal(LunData.Hash(dataA), await rig.HashVolumeAsync(rig.Primary, 9));
    }
}
