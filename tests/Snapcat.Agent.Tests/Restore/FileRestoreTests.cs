using System.Text.Json;
using Snapcat.Agent.Attach;
using Snapcat.Agent.Handlers;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Contracts.Agent;

namespace Snapcat.Agent.Tests.Restore;

/// <summary>FIG. 13 against a real array, nbdfuse and a real read-only mount.</summary>
[Collection(RestoreCollection.Name)]
public sealed class FileRestoreTests(RestoreWorld w)
{
    private async Task<JobSnapshot> RestoreAsync(FileRestoreOrder order) =>
        await w.RunJobAsync(FileRestoreHandler.Operation, ctx => new FileRestoreHandler(w.Runtime).RunAsync(order, ctx));

    [Fact]
    public async Task Only_the_chosen_files_come_back_with_modes_and_times_and_nothing_stays_attached()
    {
        if (w.Unavailable is { } why) { Console.WriteLine($"SKIPPED file restore test: {why}"); return; }
        await w.WritePrimaryAsync(w.ChangedImage); // the backup must come from the secondary, not the live volume
        string dest = w.Dir.Combine("dest-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(dest, "docs"));
        File.WriteAllText(Path.Combine(dest, "keep-me.txt"), "host file");
        File.WriteAllText(Path.Combine(dest, "docs", "report.txt"), "overwritten by mistake\n");

        var job = await RestoreAsync(new FileRestoreOrder(RestoreWorld.DeviceId, w.Secondary, ["docs/*.txt", "/bin/run.sh"], Destination: dest));

        string log = RestoreWorld.LogOf(job);
        Assert.True(job.State == JobState.Succeeded, $"{job.ErrorCode}: {job.ErrorMessage}\n{log}");
        var result = job.Result!.Deserialize<FileRestoreResultDto>(System.Text.Json.JsonSerializerOptions.Web)!;
        Assert.Equal(dest, result.Destination);
        Assert.Equal(["bin/run.sh", "docs/report.txt"], result.Copied.Order(StringComparer.Ordinal));

        Assert.Equal("quarterly numbers: 42\n", File.ReadAllText(Path.Combine(dest, "docs", "report.txt")));
        Assert.Equal(RestoreWorld.ReportTime, File.GetLastWriteTimeUtc(Path.Combine(dest, "docs", "report.txt")));
        Assert.Equal(RestoreWorld.RunMode, File.GetUnixFileMode(Path.Combine(dest, "bin", "run.sh")));
        Assert.Equal(File.ReadAllText(Path.Combine(w.Content, "bin", "run.sh")), File.ReadAllText(Path.Combine(dest, "bin", "run.sh")));
        Assert.False(File.Exists(Path.Combine(dest, "docs", "notes.md")), "notes.md was not asked for");
        Assert.False(Directory.Exists(Path.Combine(dest, "docs", "sub")), "docs/*.txt does not reach into docs/sub");
        Assert.False(Directory.Exists(Path.Combine(dest, "data")));
        Assert.Equal("host file", File.ReadAllText(Path.Combine(dest, "keep-me.txt")));
        Assert.Equal(result.Bytes, new FileInfo(Path.Combine(dest, "docs", "report.txt")).Length + new FileInfo(Path.Combine(dest, "bin", "run.sh")).Length);

        await AssertNothingAttachedAsync(log);
    }

    [Fact]
    public async Task From_a_snapshot_the_default_destination_is_the_original_mount_point()
    {
        if (w.Unavailable is { } why) { Console.WriteLine($"SKIPPED file restore test: {why}"); return; }
        string mountPoint = w.Dir.Combine("original-mount-" + Guid.NewGuid().ToString("N")[..8]);

        var job = await RestoreAsync(new FileRestoreOrder(RestoreWorld.DeviceId, w.Snapshot, ["data/big.bin"], MountPoint: mountPoint));

        string log = RestoreWorld.LogOf(job);
        Assert.True(job.State == JobState.Succeeded, $"{job.ErrorCode}: {job.ErrorMessage}\n{log}");
        Assert.Equal(RestoreWorld.Sha256(Path.Combine(w.Content, "data", "big.bin")), RestoreWorld.Sha256(Path.Combine(mountPoint, "data", "big.bin")));
        Assert.Equal(["data"], Directory.GetFileSystemEntries(mountPoint).Select(Path.GetFileName));
        await AssertNothingAttachedAsync(log);
    }

    [Fact]
    public async Task Hooks_sent_with_a_file_restore_run_around_the_copy()
    {
        if (w.Unavailable is { } why) { Console.WriteLine($"SKIPPED file restore test: {why}"); return; }
        w.ClearTrace();
        string dest = w.Dir.Combine("dest-hooks-" + Guid.NewGuid().ToString("N")[..8]);

        var job = await RestoreAsync(new FileRestoreOrder(RestoreWorld.DeviceId, w.Snapshot, ["docs/report.txt"], Destination: dest,
            PreProcess: Snapcat.Contracts.Agent.HookRef.Named("pre"), PostProcess: Snapcat.Contracts.Agent.HookRef.Named("post")));

        string log = RestoreWorld.LogOf(job);
        Assert.True(job.State == JobState.Succeeded, $"{job.ErrorCode}: {job.ErrorMessage}\n{log}");
        Assert.Equal([$"pre file-restore {w.Snapshot}", "post file-restore"], w.Trace());
        Assert.True(log.IndexOf("pre-ran", StringComparison.Ordinal) < log.IndexOf("copied", StringComparison.OrdinalIgnoreCase) || !log.Contains("copied", StringComparison.OrdinalIgnoreCase), log);
        Assert.Equal("quarterly numbers: 42\n", File.ReadAllText(Path.Combine(dest, "docs", "report.txt")));
        await AssertNothingAttachedAsync(log);
    }

    [Fact]
    public async Task A_volume_without_a_file_system_fails_at_the_check_and_every_step_is_undone()
    {
        if (w.Unavailable is { } why) { Console.WriteLine($"SKIPPED file restore test: {why}"); return; }
        string dest = w.Dir.Combine("dest-blank");

        var job = await RestoreAsync(new FileRestoreOrder(RestoreWorld.DeviceId, w.Blank, ["anything"], Destination: dest));

        string log = RestoreWorld.LogOf(job);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal("attach.fsck_failed", job.ErrorCode);
        Assert.Contains("undone: nbdfuse", log);
        Assert.Contains($"undone: volume {w.Blank} assigned read-only to {w.DataPorts[1]} LUN {RestoreWorld.RestoreLun}", log);
        Assert.Contains("undone: restore port", log);
        Assert.False(Directory.Exists(dest), "nothing was copied");
        await AssertNothingAttachedAsync(log);
    }

    [Fact]
    public async Task Bad_orders_are_refused_before_anything_is_assigned()
    {
        if (w.Unavailable is { } why) { Console.WriteLine($"SKIPPED file restore test: {why}"); return; }
        var handler = new FileRestoreHandler(w.Runtime);
        string Code(FileRestoreOrder o) => Assert.Throws<SnapcatException>(() => { FileRestoreHandler.Validate(o); handler.CheckAgainstConfig(o); }).Code;

        Assert.Equal("restore.nothing_requested", Code(new FileRestoreOrder(RestoreWorld.DeviceId, w.Secondary, [], MountPoint: "/srv/x")));
        Assert.Equal("restore.destination_missing", Code(new FileRestoreOrder(RestoreWorld.DeviceId, w.Secondary, ["a"])));
        Assert.Equal("restore.destination_invalid", Code(new FileRestoreOrder(RestoreWorld.DeviceId, w.Secondary, ["a"], Destination: "relative/dir")));
        Assert.Equal("restore.destination_invalid", Code(new FileRestoreOrder(RestoreWorld.DeviceId, w.Secondary, ["a"], Destination: w.Dir.Combine("restore-7", "x"))));
        Assert.Equal("array.unknown", Code(new FileRestoreOrder("ARRAY-NOPE", w.Secondary, ["a"], MountPoint: "/srv/x")));
        Assert.Equal("restore.path_escapes", Code(new FileRestoreOrder(RestoreWorld.DeviceId, w.Secondary, ["../a"], Destination: w.Dir.Combine("d"))));
        Assert.Equal("restore.destination_not_allowed", Code(new FileRestoreOrder(RestoreWorld.DeviceId, w.Secondary, ["a"], Destination: "/var/tmp/elsewhere")));

        // A backup volume the array does not have: the job fails before a port is taken.
        var job = await RestoreAsync(new FileRestoreOrder(RestoreWorld.DeviceId, 999, ["a"], Destination: w.Dir.Combine("dest-none")));
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal("volume.not_found", job.ErrorCode);
        await AssertNothingAttachedAsync(RestoreWorld.LogOf(job));
    }

    private async Task AssertNothingAttachedAsync(string log)
    {
        var port = w.Runtime.Config.RestorePorts[0];
        Assert.False(MountTable.IsMountPoint(port.MountDirectory), $"{port.MountDirectory} is still mounted\n{log}");
        Assert.False(MountTable.IsMountPoint(Path.Combine(w.Runtime.Config.AttachDirectory, $"lun-{port.Lun}", "fuse")), log);
        Assert.Empty(NbdFuseProcessesFor(port.NbdUri));
        Assert.False(w.Runtime.IsRestorePortInUse(port), "the restore port lease was given back");
        var lun = await Assert.ThrowsAsync<SnapcatException>(() => w.Array.GetLunAsync(port.DataPort, RestoreWorld.RestoreLun));
        Assert.Equal(ErrorKind.NotFound, lun.Kind);
    }

    private static int[] NbdFuseProcessesFor(string uri) =>
        Directory.GetDirectories("/proc").Select(d => Path.GetFileName(d)).Where(n => n.All(char.IsAsciiDigit))
            .Where(pid =>
            {
                try { string cmd = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); return cmd.Contains("nbdfuse") && cmd.Contains(uri); }
                catch (IOException) { return false; }
                catch (UnauthorizedAccessException) { return false; }
            })
            .Select(int.Parse).ToArray();
}
