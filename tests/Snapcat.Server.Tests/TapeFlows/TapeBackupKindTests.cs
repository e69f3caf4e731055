using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Core.VolumeInformation;
using Snapcat.Server.Catalog;
using Snapcat.Server.Flows;
using Snapcat.TestKit;
using Snapcat.Contracts.Server;
using Snapcat.Server.Tests.Fixtures;

namespace Snapcat.Server.Tests.TapeFlows;

/// <summary>The <c>tape</c> backup kind in definitions and file restore from a tape backup, with real array and agent daemons.</summary>
[Collection("tape-flows")]
public sealed class TapeBackupKindTests
{
    [Fact]
    public async Task A_tape_definition_streams_the_snapshot_moment_to_tape_runs_the_hooks_and_removes_the_snapshot()
    {
        if (!Tool.Exists("nbdcopy")) Assert.Fail("nbdcopy (package libnbd-bin) is required");
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape());
        var data = new byte[rig.VolumeBytes];
        new Random(21).NextBytes(data);
        await rig.WritePrimaryAsync(data);
        // The thaw hook overwrites the primary right after the snapshot: the tape must hold the data from before it.
        var later = new byte[rig.VolumeBytes];
        new Random(22).NextBytes(later);
        await File.WriteAllBytesAsync(rig.ThawOverwrite, later);
        var volumesBefore = await rig.VolumeNumbersAsync();

        var run = ServerClient.EnsureSucceeded(await rig.RunTapeDefinitionAsync("db-tape", "weekly-tape"));
        File.Delete(rig.ThawOverwrite);

        var row = Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = ServerRig.TapeLibraryId }));
        Assert.Equal(("tape", "SC0001/0001", "backup", "weekly-tape", ServerRig.Host, ServerRig.MountPoint),
            (row.Kind, row.MediaId, row.Origin, row.Label, row.Host, row.MountPoint));
        Assert.Equal(row.Id, run.Result!["backupId"]!.GetValue<long>());
        Assert.True(run.Result!["snapshotDeleted"]!.GetValue<bool>());
        // The record on tape and in the catalog says Tape, and names the source volume.
        Assert.True(VolumeInfoRecord.TryDecode(Convert.FromBase64String(row.VolumeInfo), out var info, out _));
        Assert.Equal((BackupKind.Tape, ServerRig.TapeArray, rig.Primary, row.BackupId, row.Timestamp),
            (info!.Kind, info.SourceDeviceId, info.SourceVolume, info.BackupId, info.Timestamp));
        Assert.Equal("tape", Assert.Single(Assert.Single(await rig.Client.ListCartridgesAsync()).Backups).Kind);

        // Hooks: freeze before, thaw after the snapshot (the thaw's overwrite landed on the primary, not on tape).
        Assert.Equal(["freeze pre weekly-tape", "thaw post weekly-tape"], rig.HookLines());
        Assert.Equal(LunData.Hash(later), await rig.HashVolumeAsync(rig.Primary, 8));
        // No catalog row for the temporary snapshot, and no snapshot volume left on the array.
        Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter()));
        Assert.Equal(volumesBefore, await rig.VolumeNumbersAsync());

        // Restored into a fresh volume, the tape holds the primary as it was at the snapshot.
        uint fresh = await rig.FreshVolumeAsync();
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.RestoreAsync(row.Id, new RestoreRequest(DeviceId: ServerRig.TapeArray, Volume: fresh))));
        Assert.Equal(LunData.Hash(data), await rig.HashVolumeAsync(fresh, 9));

        // A rebuild from the tapes gives the same row back, kind tape.
        await rig.LoseCatalogAsync();
        await rig.StartServerAsync();
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.RebuildAsync(new RebuildRequest())));
        var rebuilt = Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = ServerRig.TapeLibraryId }));
        Assert.Equal((row.Kind, row.MediaId, row.BackupId, row.VolumeInfo), (rebuilt.Kind, rebuilt.MediaId, rebuilt.BackupId, rebuilt.VolumeInfo));
    }

    [Fact]
    public async Task A_failed_tape_write_still_deletes_the_temporary_snapshot_and_records_nothing()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape());
        var volumesBefore = await rig.VolumeNumbersAsync();
        var rt = rig.Server!.Runtime;
        var definition = new BackupDefinition
        {
            Name = "db-tape-fault", Host = ServerRig.Host, MountPoint = ServerRig.MountPoint, Kind = "tape", DeviceId = ServerRig.TapeLibraryId,
            Label = "faulty", PreHook = "freeze", PostHook = "thaw",
        };
        uint? seen = null;
        var faults = new TapeFlowFaults
        {
            BeforeTapeWrite = async (snapshot, ct) =>
            {
                seen = snapshot;
                // The snapshot exists while the tape write runs.
                Assert.Contains(snapshot, await rig.VolumeNumbersAsync());
                throw new SnapcatException(ErrorKind.Internal, "test.tape_write", "injected tape write failure");
            },
        };
        var job = rt.Jobs.Start("backup", "tape backup with a write fault", null, ctx => new TapeBackupHandler(rt, faults).RunAsync(definition, ctx));
        await job.Completion;
        var failed = job.Snapshot();
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal("test.tape_write", failed.ErrorCode);
        Assert.NotNull(seen);
        Assert.Equal(volumesBefore, await rig.VolumeNumbersAsync());
        Assert.Empty(await rig.Client.SearchBackupsAsync(new BackupDataFilter()));
        Assert.Equal(["freeze pre faulty", "thaw post faulty"], rig.HookLines());
        Assert.Contains(failed.Log, l => l.Message.Contains("deleting the temporary snapshot anyway", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_tape_definition_must_name_the_library_and_no_destination_volume()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape());
        DefinitionDto Tape(string device, uint? volume = null) => new()
        {
            Name = "bad-tape", Host = ServerRig.Host, MountPoint = ServerRig.MountPoint, Kind = "tape", DeviceId = device, DestinationVolume = volume, Label = "x",
        };
        var wrong = await Assert.ThrowsAsync<SnapcatException>(() => rig.Client.CreateDefinitionAsync(Tape(ServerRig.TapeArray)));
        Assert.Equal("definition.wrong_library", wrong.Code);
        Assert.Contains(ServerRig.TapeLibraryId, wrong.Message);
        var volume = await Assert.ThrowsAsync<SnapcatException>(() => rig.Client.CreateDefinitionAsync(Tape(ServerRig.TapeLibraryId, rig.Secondary)));
        Assert.Equal("definition.invalid", volume.Code);
        Assert.Empty(await rig.Client.ListDefinitionsAsync());

        // The CLI accepts --kind tape.
        var cli = await SnapcatBinary.RunAsync(["definition", "create", "cli-tape", "--host", ServerRig.Host, "--mount-point", ServerRig.MountPoint,
            "--kind", "tape", "--device", ServerRig.TapeLibraryId, "--label", "cli", "--pre", "freeze", "--post", "thaw",
            .. rig.ServerArgs]);
        Assert.True(cli.ExitCode == 0, cli.Stdout + cli.Stderr);
        var d = Assert.Single(await rig.Client.ListDefinitionsAsync());
        Assert.Equal(("cli-tape", "tape", ServerRig.TapeLibraryId), (d.Name, d.Kind, d.DeviceId));
    }

    [Fact]
    public async Task A_file_restore_from_a_tape_backup_brings_back_the_chosen_files_and_removes_the_scratch_volume()
    {
        if (Needs.FileRestore() is { } why)
        {
            Console.WriteLine($"SKIPPED tape file restore test: {why}");
            return;
        }
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape());

        // An ext4 file system made by mke2fs -d, written onto the primary, then a tape backup of it.
        byte[] table = new byte[512 << 10];
        new Random(23).NextBytes(table);
        string image = await rig.Ext4ImageAsync("content", new Dictionary<string, byte[]>
        {
            ["etc/app.conf"] = "threads=8\n"u8.ToArray(),
            ["etc/other.conf"] = "not asked for\n"u8.ToArray(),
            ["data/table.bin"] = table,
        });
        await rig.WritePrimaryAsync(await File.ReadAllBytesAsync(image));
        ServerClient.EnsureSucceeded(await rig.RunTapeDefinitionAsync("fs-tape", "fs-tape"));
        var row = Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = ServerRig.TapeLibraryId }));
        var volumesBefore = await rig.VolumeNumbersAsync();

        string dest = rig.Dir.Combine("restored");
        Directory.CreateDirectory(dest);
        var done = ServerClient.EnsureSucceeded(await rig.WaitAsync(
            await rig.Client.RestoreAsync(row.Id, new RestoreRequest(Files: ["etc/app.conf", "data/*.bin"], Destination: dest))));
        Assert.Equal("threads=8\n", File.ReadAllText(Path.Combine(dest, "etc", "app.conf")));
        Assert.Equal(LunData.Hash(table), LunData.Hash(File.ReadAllBytes(Path.Combine(dest, "data", "table.bin"))));
        Assert.False(File.Exists(Path.Combine(dest, "etc", "other.conf")));

        // The scratch volume was made on the backup's original array and is gone again.
        uint scratch = done.Result!["scratchVolume"]!.GetValue<uint>();
        Assert.Equal(ServerRig.TapeArray, done.Result!["scratchDeviceId"]!.GetValue<string>());
        Assert.DoesNotContain(scratch, volumesBefore);
        Assert.Equal(volumesBefore, await rig.VolumeNumbersAsync());
        Assert.Contains(done.Log, l => l.Message.Contains($"deleted scratch volume {scratch}", StringComparison.Ordinal));

        // A file the backup does not hold fails the agent's job; the scratch volume still goes.
        var failed = await rig.WaitAsync(await rig.Client.RestoreAsync(row.Id, new RestoreRequest(Files: ["../escape"], Destination: dest)));
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal(volumesBefore, await rig.VolumeNumbersAsync());
    }
}
