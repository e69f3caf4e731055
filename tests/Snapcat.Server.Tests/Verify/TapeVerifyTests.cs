using Snapcat.Contracts.Server;
using Snapcat.Core.Integrity;
using Snapcat.Core.Jobs;
using Snapcat.Server.Tape;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.Server.Tests.Tape;
using Snapcat.Tape.Backup;
using Snapcat.Tape.Cartridge;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Verify;

/// <summary>Content digests through the tape flows with a real array and agent: copy, read-back verify, restore.</summary>
[Collection("tape-flows")]
public sealed class TapeVerifyTests
{
    /// <summary>A mirror backup whose row has its digest (sealed by a first verify when the array had none).</summary>
    private static async Task<(byte[] Data, BackupDto Disk, string Root)> SealedMirrorAsync(ServerRig rig, int seed)
    {
        var (data, disk) = await rig.MirrorBackupAsync(seed);
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.StartBackupVerifyAsync(disk.Id)));
        string root = ContentDigest.Compute(data).RootText;
        Assert.Equal(root, (await rig.Client.GetBackupAsync(disk.Id)).Digest);
        return (data, disk, root);
    }

    private static TapeManagementRecord ManagementOnTape(ServerRig rig, string mediaId)
    {
        var lib = new DirectoryCartridgeLibrary(Path.GetDirectoryName(rig.Library.PathOf("SC0001"))!, 64L << 20);
        return new TapeBackupReader(lib).ReadManagement(TapeMediaId.Parse(mediaId));
    }

    [Fact]
    public async Task A_tape_copy_carries_the_disk_backups_digest_and_a_tape_verify_reads_it_back_ok()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape());
        var (data, disk, root) = await SealedMirrorAsync(rig, 41);

        var done = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest())));
        var tape = await rig.Client.GetBackupAsync(done.Result!["copy"]!.GetValue<long>());
        Assert.Equal(root, tape.Digest);
        var mgmt = ManagementOnTape(rig, tape.MediaId);
        Assert.Equal(TapeManagementRecord.CurrentVersion, mgmt.Version);
        Assert.Equal(root, mgmt.Digest);

        var verified = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.StartBackupVerifyAsync(tape.Id)));
        Assert.Equal("ok", verified.Result!["outcome"]!.GetValue<string>());
        Assert.Equal(root, verified.Result!["root"]!.GetValue<string>());
        Assert.Equal(root, verified.Result!["tapeDigest"]!.GetValue<string>());
        Assert.Equal(data.Length, verified.Result!["bytes"]!.GetValue<long>());
        var run = Assert.Single(await rig.Client.ListVerificationsAsync(tape.Id));
        Assert.Equal(("ok", root, root), (run.Outcome, run.Root, run.ExpectedRoot));

        // Restored into a fresh volume: the digest of what was read is checked and reported.
        uint fresh = await rig.FreshVolumeAsync();
        var restored = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.RestoreAsync(tape.Id, new RestoreRequest(DeviceId: ServerRig.TapeArray, Volume: fresh))));
        Assert.Equal(root, restored.Result!["digest"]!.GetValue<string>());
        Assert.Equal(LunData.Hash(data), await rig.HashVolumeAsync(fresh, 9));
    }

    [Fact]
    public async Task A_damaged_tape_data_block_fails_tape_restore_and_verify_with_digest_mismatch()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape());
        var (data, disk, root) = await SealedMirrorAsync(rig, 42);
        var done = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest())));
        long copyId = done.Result!["copy"]!.GetValue<long>();
        string path = rig.Library.PathOf("SC0001");
        TapeFixture.FlipByte(path, new FileInfo(path).Length / 2);   // a data block: the labels still read

        uint fresh = await rig.FreshVolumeAsync();
        var failed = await rig.WaitAsync(await rig.Client.RestoreAsync(copyId, new RestoreRequest(DeviceId: ServerRig.TapeArray, Volume: fresh)));
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal("digest.mismatch", failed.ErrorCode);
        Assert.Contains(root, failed.ErrorMessage);
        Assert.Contains($"volume {fresh} on {ServerRig.TapeArray}, is left incomplete", failed.ErrorMessage);
        // The target's last block never arrived: it is not the backup's data.
        Assert.NotEqual(LunData.Hash(data), await rig.HashVolumeAsync(fresh, 9));

        var verify = await rig.WaitAsync(await rig.Client.StartBackupVerifyAsync(copyId));
        Assert.Equal(JobState.Failed, verify.State);
        Assert.Equal("digest.mismatch", verify.ErrorCode);
        var run = Assert.Single(await rig.Client.ListVerificationsAsync(copyId));
        Assert.Equal("mismatch", run.Outcome);
        Assert.Equal(root, run.ExpectedRoot);
        Assert.StartsWith("digest.mismatch: ", run.Error);
    }

    [Fact]
    public async Task A_tape_copy_whose_data_differs_from_the_disk_digest_fails_and_leaves_the_cartridge_clean()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape());
        var (_, disk, root) = await SealedMirrorAsync(rig, 43);
        var rt = rig.Server!.Runtime;
        // The catalog says the backup's data has another digest than it has (as after silent damage on the array).
        string wrong = ContentDigest.Compute(TapeFixture.RandomData(1000, 1)).RootText;
        await rt.Data.SetDigestAsync(disk.Id, wrong);

        var failed = await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest()));
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal("digest.mismatch", failed.ErrorCode);
        Assert.Contains(wrong, failed.ErrorMessage);
        Assert.Empty(await rig.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = ServerRig.TapeLibraryId }));
        Assert.All(await rig.Client.ListCartridgesAsync(), c => Assert.Empty(c.Backups));

        // With the right digest the copy goes through and starts at file 1: nothing of the refused copy is left.
        await rt.Data.SetDigestAsync(disk.Id, root);
        var done = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest())));
        Assert.Equal("SC0001/0001", (await rig.Client.GetBackupAsync(done.Result!["copy"]!.GetValue<long>())).MediaId);
    }
}
