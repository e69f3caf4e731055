using System.Text.Json;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Server.Flows;
using Snapcat.Server.Tests.Tape;
using Snapcat.TestKit;
using Snapcat.Contracts.Server;
using Snapcat.Server.Tests.Fixtures;

namespace Snapcat.Server.Tests.TapeFlows;

/// <summary>The tape flows through the server with a real array daemon and a real agent daemon.</summary>
[Collection("tape-flows")]
public sealed class TapeFlowTests
{
    [Fact]
    public async Task Copy_to_tape_then_restore_into_a_fresh_volume_is_byte_exact_and_hetmap_lists_the_labels()
    {
        if (!Tool.Exists("hetmap")) Assert.Fail("hetmap (package hercules) is required");
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape());
        var (data, disk) = await rig.MirrorBackupAsync(seed: 11);

        var done = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest())));
        long copyId = done.Result!["copy"]!.GetValue<long>();
        var tape = await rig.Client.GetBackupAsync(copyId);
        Assert.Equal(ServerRig.TapeLibraryId, tape.DeviceId);
        Assert.Equal("SC0001/0001", tape.MediaId);
        Assert.Equal("copy", tape.Origin);
        Assert.Equal((disk.BackupId, disk.Host, disk.MountPoint, disk.Label, disk.Timestamp),
            (tape.BackupId, tape.Host, tape.MountPoint, tape.Label, tape.Timestamp));
        // The record on tape is the source's, saying tape copy with the copy's own catalog number (issues 15.2, 15.7).
        var diskInfo = Snapcat.Core.VolumeInformation.VolumeInfoRecord.Decode(Convert.FromBase64String(disk.VolumeInfo));
        var tapeInfo = Snapcat.Core.VolumeInformation.VolumeInfoRecord.Decode(Convert.FromBase64String(tape.VolumeInfo));
        Assert.Equal(diskInfo with { Origin = Snapcat.Core.VolumeInformation.VolumeInfoOrigin.TapeCopy, CatalogNumber = (ulong)copyId }, tapeInfo);
        Assert.NotNull(await rig.Client.GetBackupAsync(disk.Id)); // a copy keeps the disk backup

        // The server's library listing shows the cartridge with the backup on it.
        var cartridge = Assert.Single(await rig.Client.ListCartridgesAsync());
        Assert.Equal("SC0001", cartridge.VolumeSerial);
        Assert.Equal(disk.BackupId, Assert.Single(cartridge.Backups).BackupId);

        // hetmap reads the cartridge the flow wrote (on a copy: it opens the image read-write).
        string copy = rig.Dir.Combine("copy.aws");
        File.Copy(rig.Library.PathOf("SC0001"), copy);
        var d = await Tool.RunAsync("hetmap", ["-d", copy]);
        string text = (d.Stdout + d.Stderr).Replace("\r", "");
        string id = disk.BackupId.ToString("N")[..8].ToUpperInvariant();
        Assert.DoesNotContain("het_read() returned", text);
        Assert.Contains("vol=SC0001", text);
        foreach (string part in new[] { "MGMT", "DATA", "TRLR" }) Assert.Contains($"dsn=SC.{id}.{part}", text);

        // Restore from tape into a fresh volume through the agent's write stream: byte-exact over NBD.
        uint fresh = await rig.FreshVolumeAsync();
        var restored = ServerClient.EnsureSucceeded(await rig.WaitAsync(
            await rig.Client.RestoreAsync(copyId, new RestoreRequest(DeviceId: ServerRig.TapeArray, Volume: fresh))));
        Assert.Equal(rig.VolumeBytes, restored.Result!["bytes"]!.GetValue<long>());
        Assert.Equal(LunData.Hash(data), await rig.HashVolumeAsync(fresh, 9));

        // verify through the API: the CRC-32C recorded at copy time matches.
        var verified = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.VerifyBackupAsync(copyId)));
        Assert.Equal(rig.VolumeBytes, verified.Result!["bytes"]!.GetValue<long>());

        // Without a target the source volume would be overwritten: refused without force, before any job.
        var refused = await Assert.ThrowsAsync<SnapcatException>(() => rig.Client.RestoreAsync(copyId, new RestoreRequest()));
        Assert.Equal("restore.tape_overwrite", refused.Code);
        // A file restore from tape makes its own scratch volume: naming a target volume is refused before any job.
        var files = await Assert.ThrowsAsync<SnapcatException>(() => rig.Client.RestoreAsync(copyId, new RestoreRequest(Files: ["a"], DeviceId: ServerRig.TapeArray, Volume: fresh)));
        Assert.Equal("restore.tape_files_target", files.Code);
    }

    [Fact]
    public async Task A_corrupted_tape_restore_fails_and_the_target_is_reported_incomplete()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape());
        var (_, disk) = await rig.MirrorBackupAsync(seed: 12);
        var done = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest())));
        long copyId = done.Result!["copy"]!.GetValue<long>();
        string path = rig.Library.PathOf("SC0001");
        // A byte in the middle of the data file: labels stay readable, only the checksum can tell.
        TapeFixture.FlipByte(path, new FileInfo(path).Length / 2);

        uint fresh = await rig.FreshVolumeAsync();
        var failed = await rig.WaitAsync(await rig.Client.RestoreAsync(copyId, new RestoreRequest(DeviceId: ServerRig.TapeArray, Volume: fresh)));
        Assert.Equal(JobState.Failed, failed.State);
        // The content digest is checked before the CRC-32C (issue 13): a damaged block is a digest mismatch.
        Assert.Equal("digest.mismatch", failed.ErrorCode);
        var verify = await rig.WaitAsync(await rig.Client.VerifyBackupAsync(copyId));
        Assert.Equal(JobState.Failed, verify.State);
    }

    [Fact]
    public async Task Move_deletes_the_disk_backup_only_after_the_tape_copy_verified()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape());
        var (data, disk) = await rig.MirrorBackupAsync(seed: 13);
        var rt = rig.Server!.Runtime;

        // Verification fails (a data byte flipped between write and read-back): the disk backup is kept, no tape row.
        var faults = new TapeFlowFaults
        {
            BeforeVerify = (row, _) =>
            {
                string path = rt.Tapes!.PathOf(row.MediaId[..6]);
                TapeFixture.FlipByte(path, new FileInfo(path).Length / 2);
                return Task.CompletedTask;
            },
        };
        var job = rt.Jobs.Start("tape-copy", "move with a verify fault", null, ctx => new CopyToTapeHandler(rt, faults).RunAsync(disk.Id, move: true, ctx));
        await job.Completion;
        var failed = job.Snapshot();
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal("digest.mismatch", failed.ErrorCode);   // checked before the CRC-32C (issue 13)
        Assert.Equal(disk.BackupId, (await rig.Client.GetBackupAsync(disk.Id)).BackupId);
        Assert.NotNull(await rig.Array.GetVolumeInfoAsync(rig.Secondary));
        Assert.Empty(await rig.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = ServerRig.TapeLibraryId }));

        // A move that verifies: tape row recorded, then the disk backup deleted through the delete flow.
        var moved = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest(Move: true))));
        long copyId = moved.Result!["copy"]!.GetValue<long>();
        Assert.Equal(disk.Id, moved.Result!["deleted"]!.GetValue<long>());
        var gone = await Assert.ThrowsAsync<SnapcatException>(() => rig.Client.GetBackupAsync(disk.Id));
        Assert.Equal("backup.not_found", gone.Code);
        Assert.Null(await rig.Array.GetVolumeInfoAsync(rig.Secondary));
        var tape = await rig.Client.GetBackupAsync(copyId);
        Assert.Equal("SC0001/0004", tape.MediaId); // file sequence 4: the failed copy holds files 1-3

        // The moved backup still restores byte-exact.
        uint fresh = await rig.FreshVolumeAsync();
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.RestoreAsync(copyId, new RestoreRequest(DeviceId: ServerRig.TapeArray, Volume: fresh))));
        Assert.Equal(LunData.Hash(data), await rig.HashVolumeAsync(fresh, 9));
    }

    [Fact]
    public async Task Catalog_lost_is_rebuilt_from_the_array_and_the_tapes_with_identical_rows()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape());
        var (_, disk) = await rig.MirrorBackupAsync(seed: 14);
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest())));
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest())));
        var before = Comparable(await rig.Client.SearchBackupsAsync(new BackupDataFilter()));
        Assert.Equal(3, before.Count);

        await rig.LoseCatalogAsync();
        await rig.StartServerAsync();
        Assert.Empty(await rig.Client.SearchBackupsAsync(new BackupDataFilter()));

        var report = await RebuildAsync(rig, new RebuildRequest());
        Assert.Equal(3, report.Added);
        Assert.NotNull(report.Tapes);
        Assert.Equal(["SC0001/0001", "SC0001/0004"], report.Tapes!.Added.Select(i => i.Where).Order());
        Assert.Equal(before, Comparable(await rig.Client.SearchBackupsAsync(new BackupDataFilter())));

        // Twice changes nothing; --tapes false leaves the library out.
        var again = await RebuildAsync(rig, new RebuildRequest());
        Assert.Equal((0, 3), (again.Added, again.Unchanged));
        var arraysOnly = await RebuildAsync(rig, new RebuildRequest(Tapes: false));
        Assert.Null(arraysOnly.Tapes);
    }

    [Fact]
    public async Task A_truncated_cartridge_is_cut_back_at_start_up_its_lost_backups_are_reported_and_the_others_still_import()
    {
        // 6 MiB cartridges, 4 MiB backups: the second copy continues on SC0002, the third starts there.
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape(capacity: "6M"));
        var (data, disk) = await rig.MirrorBackupAsync(seed: 15);
        for (int i = 0; i < 3; i++)
            ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest())));
        var tapeRows = await rig.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = ServerRig.TapeLibraryId });
        Assert.Equal(3, tapeRows.Count);
        string first = Assert.Single(tapeRows, r => r.MediaId == "SC0001/0001").MediaId;

        await rig.LoseCatalogAsync();
        string damaged = Directory.GetFiles(rig.LibraryDirectory, "*.aws").Order().Last();
        using (var f = new FileStream(damaged, FileMode.Open)) f.SetLength(f.Length / 2);
        await rig.StartServerAsync();

        // The server cut the torn half off at start-up (issue 9.4) and says so in the listing; the backup whose files
        // were in the lost half is reported incomplete by the rebuild instead of the whole cartridge being skipped.
        string serial = Path.GetFileNameWithoutExtension(damaged);
        var cut = Assert.Single(Assert.Single(await rig.Client.ListCartridgesAsync(), c => c.VolumeSerial == serial).TailCuts!);
        Assert.Contains("torn tail", cut.Reason);
        var report = await RebuildAsync(rig, new RebuildRequest());
        Assert.Contains(report.Tapes!.Invalid, i => i.Reason!.Contains("incomplete backup") && i.Reason.Contains("not on any readable cartridge"));
        Assert.Contains(report.Tapes.Added, i => i.Where == first);
        Assert.DoesNotContain(report.Tapes.Added, i => i.Where.StartsWith(serial, StringComparison.Ordinal));
        Assert.Single(report.Arrays[0].Added); // the disk backup is back too

        // The backup on the intact cartridge restores byte-exact.
        var row = Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = ServerRig.TapeLibraryId }), r => r.MediaId == first);
        uint fresh = await rig.FreshVolumeAsync();
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.RestoreAsync(row.Id, new RestoreRequest(DeviceId: ServerRig.TapeArray, Volume: fresh))));
        Assert.Equal(LunData.Hash(data), await rig.HashVolumeAsync(fresh, 9));
    }

    [Fact]
    public async Task The_cli_copies_to_tape_lists_the_servers_library_and_verifies()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape());
        var (_, disk) = await rig.MirrorBackupAsync(seed: 16);
        string[] server = rig.ServerArgs;

        var copy = await SnapcatBinary.RunAsync(["backup", "copy-to-tape", disk.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--wait", .. server]);
        Assert.True(copy.ExitCode == 0, copy.Stdout + copy.Stderr);
        var tape = Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = ServerRig.TapeLibraryId }));

        var list = await SnapcatBinary.RunAsync(["tape", "list", "--output", "json", .. server]);
        Assert.True(list.ExitCode == 0, list.Stdout + list.Stderr);
        Assert.Contains("SC0001", list.Stdout);
        Assert.Contains(disk.BackupId.ToString(), list.Stdout);

        var verify = await SnapcatBinary.RunAsync(["backup", "verify", tape.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--wait", .. server]);
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);

        // A disk backup is verified on its array (issue 13); an unknown backup is a clear error, not a job.
        var disk1 = await SnapcatBinary.RunAsync(["backup", "verify", disk.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--wait", .. server]);
        Assert.True(disk1.ExitCode == 0, disk1.Stdout + disk1.Stderr);
        var wrong = await SnapcatBinary.RunAsync(["backup", "verify", "9999", .. server]);
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("backup.not_found", wrong.Stdout + wrong.Stderr);
    }

    private static async Task<RebuildReport> RebuildAsync(ServerRig rig, RebuildRequest request)
    {
        var done = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.RebuildAsync(request)));
        return done.Result!.Deserialize<RebuildReport>(ServerClient.Json)!;
    }

    private static List<string> Comparable(IEnumerable<BackupDto> rows) => rows
        .Select(r => $"{r.Host}|{r.MountPoint}|{r.Kind}|{r.DeviceId}|{r.MediaId}|{r.Label}|{r.Timestamp:O}|{r.BackupId}|{r.VolumeInfo}")
        .Order(StringComparer.Ordinal).ToList();
}
