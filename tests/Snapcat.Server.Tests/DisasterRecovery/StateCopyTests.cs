using System.Text.Json;
using Snapcat.Contracts.Server;
using Snapcat.Core.Jobs;
using Snapcat.Server.StateCopy;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.DisasterRecovery;

/// <summary>
/// Issue 13, "server state travels with the backups": a real array, agent, tape library and server; the catalog file is
/// deleted and a fresh server gets everything back from the state copy and the media (docs/disaster-recovery.md).
/// </summary>
public sealed class StateCopyTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static ServerRigOptions Options(bool serverProcess = false) => ServerRigOptions.Tape(serverProcess: serverProcess) with { StateCopy = true, Spares = 1, MinimumIntervalSeconds = 1 };

    /// <summary>Waits until a state copy written after <paramref name="after"/> is on every target and none is due.</summary>
    private static async Task<StateCopyStatusDto> CopyWrittenAsync(ServerRig f, DateTimeOffset after, int targets = 1)
    {
        StateCopyStatusDto? s = null;
        await Poll.UntilAsync(async () =>
        {
            s = (await f.Client.GetStatusAsync()).StateCopy;
            return s is { Pending: false, LastError: null, LastWritten: { } w } && w > after && s.Targets.Count >= targets;
        }, Wait, "a state copy written after the last change");
        return s!;
    }

    private static async Task<RebuildReport> RebuildAsync(ServerRig f, RebuildRequest? request = null)
    {
        var job = ServerClient.EnsureSucceeded(await f.WaitAsync(await f.Client.RebuildAsync(request ?? new RebuildRequest())));
        return job.Result!.Deserialize<RebuildReport>(ServerClient.Json)!;
    }

    private static long? Us(DateTimeOffset? t) => t is { } v ? (v.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10 : null;

    private static DefinitionDto Comparable(DefinitionDto d) => d with { NextRun = null, Running = false };

    [Fact]
    public async Task After_the_catalog_is_deleted_a_rebuild_gives_back_definitions_rows_volume_table_and_job_history()
    {
        await using var f = await ServerRig.StartAsync(Options());
        await f.WritePrimaryAsync(new byte[1 << 20]);
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly", f.Secondary, "nightly", f.DeviceId) with
        {
            PreHook = "freeze",
            PostHook = "thaw",
            Schedule = "0 2 * * *",
            TimeZone = "Europe/Berlin",
            MissedRuns = "run_once",
        });
        await f.Client.CreateDefinitionAsync(ServerRig.Snapshot("hourly", keep: 3, "hourly", f.DeviceId) with
        {
            PreHook = "freeze",
            PostHook = "thaw",
            Schedule = "0 * * * *",
            Retention = new RetentionDto { KeepDaily = 7 },
        });
        await f.Client.CreateDefinitionAsync(new DefinitionDto
        {
            Name = "weekly", Host = ServerRig.Host, MountPoint = ServerRig.MountPoint, Kind = "tape", DeviceId = ServerRig.TapeLibraryId, Label = "weekly",
            PreHook = "freeze", PostHook = "thaw", Schedule = "0 3 * * 0",
        });
        await f.RunAsync("nightly");
        await f.RunAsync("hourly");
        await f.RunAsync("hourly");
        await f.Client.PatchDefinitionAsync("hourly", new DefinitionPatch { Enabled = false });
        var snapshots = await f.Client.SearchBackupsAsync(new BackupDataFilter { Definition = "hourly" });
        await f.Server!.Runtime.Data.SetDigestAsync(snapshots[0].Id, "sha256:" + new string('a', 64));
        await f.Client.ProtectBackupAsync(snapshots[0].Id, DateTimeOffset.UtcNow.AddDays(30));
        var mirror = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter { Definition = "nightly" }));
        ServerClient.EnsureSucceeded(await f.WaitAsync(await f.Client.CopyToTapeAsync(mirror.Id, new TapeCopyRequest())));
        var lastChange = DateTimeOffset.UtcNow;
        var written = await CopyWrittenAsync(f, lastChange, targets: 2);
        Assert.Contains(written.Targets, t => t.StartsWith("tape TAPE-T1 cartridge", StringComparison.Ordinal));

        var definitions = (await f.Client.ListDefinitionsAsync()).Select(Comparable).OrderBy(d => d.Name).ToList();
        var rows = (await f.Client.SearchBackupsAsync(new BackupDataFilter())).OrderBy(b => b.Id).ToList();
        var volumes = await f.Client.ListBackupVolumesAsync();
        var jobs = (await f.Client.ListJobsAsync(100)).Where(j => j.State.IsFinal()).ToList();
        Assert.Equal(3, definitions.Count);
        Assert.Equal(4, rows.Count);   // mirror, two snapshots, the tape copy
        Assert.Contains(rows, r => r is { Protected: true, ProtectedUntil: not null, Digest: not null });
        Assert.Contains(rows, r => r.Origin == "copy" && r.DeviceId == ServerRig.TapeLibraryId);

        await f.LoseCatalogAsync();
        await f.StartServerAsync();
        Assert.Empty(await f.Client.ListDefinitionsAsync());
        var report = await RebuildAsync(f);

        var state = report.State!;
        Assert.NotNull(state.Source);
        Assert.StartsWith($"array {f.DeviceId} volume ", state.Source);
        Assert.Equal(written.Generation, state.Generation);
        Assert.Equal(written.ServerId, state.ServerId);
        Assert.Equal((3, 0), (state.Definitions!.Restored, state.Definitions.Kept));
        Assert.Equal(volumes.Count, state.BackupVolumes!.Restored);
        Assert.Equal((4, 0, 0), (state.BackupRows!.Restored, state.BackupRows.FromRecordsOnly, state.BackupRows.Conflicts));
        Assert.True(state.Jobs!.Restored >= jobs.Count);

        Assert.Equal(definitions, (await f.Client.ListDefinitionsAsync()).Select(Comparable).OrderBy(d => d.Name).ToList());
        Assert.Equal(rows, (await f.Client.SearchBackupsAsync(new BackupDataFilter())).OrderBy(b => b.Id).ToList());
        Assert.Equal(volumes.Select(v => (v.Host, v.MountPoint, v.DeviceId, string.Join(",", v.CopyTo))),
            (await f.Client.ListBackupVolumesAsync()).Select(v => (v.Host, v.MountPoint, v.DeviceId, string.Join(",", v.CopyTo))));
        var jobsAfter = (await f.Client.ListJobsAsync(200)).ToDictionary(j => j.Id);
        foreach (var j in jobs)
        {
            var back = jobsAfter[j.Id];
            // A live job's times have .NET's 100 ns ticks; the job table (and so the copy) keeps microseconds.
            Assert.Equal((j.Kind, j.Description, j.State, Us(j.Created), Us(j.Finished), j.ErrorCode, j.BytesDone),
                (back.Kind, back.Description, back.State, Us(back.Created), Us(back.Finished), back.ErrorCode, back.BytesDone));
        }
        // The catalog volume is no backup: never a row, never an orphan, never "without volume information".
        Assert.DoesNotContain(report.Arrays[0].Added, v => state.Source.Contains($"volume {v} ", StringComparison.Ordinal));
        // The server took the copy's identity: its next copy is a newer generation of the same server.
        var next = await CopyWrittenAsync(f, DateTimeOffset.UtcNow.AddSeconds(-1));
        Assert.Equal(written.ServerId, next.ServerId);
        Assert.True(next.Generation > written.Generation);

        // On a server that is not empty the copy's definitions do not overwrite its own.
        await f.Client.PatchDefinitionAsync("nightly", new DefinitionPatch { Label = "changed" });
        var again = await RebuildAsync(f);
        Assert.Contains("nightly", again.State!.DefinitionsKept);
        Assert.Equal("changed", (await f.Client.GetDefinitionAsync("nightly")).Label);
    }

    [Fact]
    public async Task A_damaged_copy_is_skipped_with_its_reason_and_the_older_valid_one_is_used()
    {
        await using var f = await ServerRig.StartAsync(Options());
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("first", f.Secondary, "first", f.DeviceId));
        var s1 = await CopyWrittenAsync(f, DateTimeOffset.UtcNow.AddSeconds(-1));
        await f.Client.CreateDefinitionAsync(ServerRig.Snapshot("second", keep: 2, "second", f.DeviceId));
        var s2 = await CopyWrittenAsync(f, s1.LastWritten!.Value);
        Assert.True(s2.Generation > s1.Generation);

        // The newest copy is in the other slot; flip one byte of its payload in the catalog volume's backing file.
        string target = Assert.Single(s2.Targets);
        uint volume = uint.Parse(target.Split(' ')[3], System.Globalization.CultureInfo.InvariantCulture);
        long slot = target.EndsWith("slot B", StringComparison.Ordinal) ? ArrayStateCopies.SlotBytes : 0;
        await f.StopServerAsync();
        string file = Path.Combine(f.ArrayNode.DataPath, "volumes", Snapcat.Array.Volumes.VolumeManager.FileName(volume));
        await using (var fs = new FileStream(file, FileMode.Open, FileAccess.ReadWrite))
        {
            fs.Position = slot + StateEnvelope.HeaderSize + 10;
            int b = fs.ReadByte();
            fs.Position--;
            fs.WriteByte((byte)(b ^ 0x5A));
        }
        await f.LoseCatalogAsync();
        await f.StartServerAsync();
        var report = await RebuildAsync(f);
        var state = report.State!;
        Assert.Equal(s1.Generation, state.Generation);
        var damaged = Assert.Single(state.Copies, c => !c.Used && c.Source == target);
        Assert.Contains("SHA-256", damaged.Reason);
        Assert.Equal(["first"], (await f.Client.ListDefinitionsAsync()).Select(d => d.Name));
    }

    [Fact]
    public async Task The_newest_of_two_copies_wins()
    {
        await using var f = await ServerRig.StartAsync(Options());
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("first", f.Secondary, "first", f.DeviceId));
        var s1 = await CopyWrittenAsync(f, DateTimeOffset.UtcNow.AddSeconds(-1));
        await f.Client.CreateDefinitionAsync(ServerRig.Snapshot("second", keep: 2, "second", f.DeviceId));
        var s2 = await CopyWrittenAsync(f, s1.LastWritten!.Value);
        Assert.NotEqual(s1.Targets[0], s2.Targets[0]);   // the other slot
        await f.LoseCatalogAsync();
        await f.StartServerAsync();
        var state = (await RebuildAsync(f)).State!;
        Assert.Equal(s2.Generation, state.Generation);
        Assert.Equal(s2.Targets[0], state.Source);
        Assert.Contains(state.Copies, c => !c.Used && c.Generation == s1.Generation && c.Reason!.Contains("older", StringComparison.Ordinal));
        Assert.Equal(["first", "second"], (await f.Client.ListDefinitionsAsync()).Select(d => d.Name).Order());
    }

    [Fact]
    public async Task A_damaged_or_foreign_envelope_is_refused_with_a_clear_reason()
    {
        // The catalog volume's kind is written into records on arrays: its number is frozen like the others'.
        Assert.Equal(5, (byte)Snapcat.Core.VolumeInformation.BackupKind.Catalog);
        var doc = new StateDocument { ServerId = "server-x", Generation = 3, Written = DateTimeOffset.UnixEpoch.AddDays(20000) };
        byte[] good = StateEnvelope.Encode(doc);
        Assert.True(StateEnvelope.TryDecode(good, out var back, out _));
        Assert.Equal(("server-x", 3L), (back!.ServerId, back.Generation));
        var flipped = (byte[])good.Clone();
        flipped[^1] ^= 1;
        Assert.False(StateEnvelope.TryDecode(flipped, out _, out string? why));
        Assert.Contains("SHA-256", why);
        var foreign = (byte[])good.Clone();
        foreign[0] = (byte)'X';
        Assert.False(StateEnvelope.TryDecode(foreign, out _, out why));
        Assert.Contains("no Snapcat state copy", why);
        Assert.False(StateEnvelope.TryDecode(new byte[100], out _, out why));
        Assert.Contains("empty", why);
        Assert.False(StateEnvelope.TryDecode(good.AsSpan(0, good.Length - 5), out _, out why));
        Assert.Contains("cut short", why);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task The_content_route_refuses_volumes_that_are_not_catalog_volumes()
    {
        await using var f = await ServerRig.StartAsync(Options());
        var e = await Assert.ThrowsAsync<Snapcat.Core.Errors.SnapcatException>(() => f.Array.WriteContentAsync(f.Secondary, 0, new byte[16]));
        Assert.Equal("content.not_catalog_volume", e.Code);
        e = await Assert.ThrowsAsync<Snapcat.Core.Errors.SnapcatException>(() => f.Array.ReadContentAsync(f.Primary, 0, 16));
        Assert.Equal("content.not_catalog_volume", e.Code);
    }

    [Fact]
    public async Task Rebuild_from_tape_alone_when_the_array_is_gone()
    {
        await using var f = await ServerRig.StartAsync(Options());
        await f.WritePrimaryAsync(new byte[1 << 20]);
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly", f.Secondary, "nightly", f.DeviceId) with { Schedule = "0 2 * * *" });
        await f.RunAsync("nightly");
        var mirror = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter()));
        await f.Client.ProtectBackupAsync(mirror.Id);
        ServerClient.EnsureSucceeded(await f.WaitAsync(await f.Client.CopyToTapeAsync(mirror.Id, new TapeCopyRequest())));
        await CopyWrittenAsync(f, DateTimeOffset.UtcNow, targets: 2);
        var tapeRow = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = ServerRig.TapeLibraryId }));
        var definition = Comparable(await f.Client.GetDefinitionAsync("nightly"));

        await f.LoseCatalogAsync();
        await f.ArrayNode.StopAsync();   // the array is gone
        await f.StartServerAsync();
        var report = await RebuildAsync(f);
        Assert.NotNull(report.Arrays[0].Error);
        var state = report.State!;
        Assert.StartsWith("tape TAPE-T1 cartridge ", state.Source);
        Assert.Equal(definition, Comparable(await f.Client.GetDefinitionAsync("nightly")));
        Assert.Equal(tapeRow, Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter())));
        // The mirror on the array was in the copy but on no medium read: counted, not made up.
        Assert.Equal(1, state.BackupRows!.InCopyNotOnMedia);
    }

    [Fact]
    public async Task A_kill_of_the_server_during_state_writes_leaves_a_valid_copy()
    {
        await using var f = await ServerRig.StartAsync(Options(serverProcess: true));
        // No debounce: while changes keep coming the server writes copy after copy, so a kill lands in or near a write.
        f.ServerNode.Edit = c => c with { StateCopy = new Snapcat.Server.Config.ServerStateCopyConfig { Enabled = true, DebounceSeconds = 0 } };
        await f.StopServerAsync();
        await f.StartServerAsync();
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("first", f.Secondary, "first", f.DeviceId));
        var s1 = await CopyWrittenAsync(f, DateTimeOffset.UtcNow.AddSeconds(-1));
        for (int round = 0; round < 3; round++)
        {
            long before = (await f.Client.GetStatusAsync()).StateCopy!.Generation;
            using var burst = new CancellationTokenSource();
            var patches = Task.Run(async () =>
            {
                for (int i = 0; !burst.IsCancellationRequested; i++)
                    await f.Client.PatchDefinitionAsync("first", new DefinitionPatch { Label = $"r{round}-{i}" }, burst.Token);
            });
            await Poll.UntilAsync(async () => (await f.Client.GetStatusAsync()).StateCopy!.Generation >= before + 3, Wait, "copies being written");
            f.KillServer();   // SIGKILL: no shutdown code runs, a write in flight stops where it is
            await burst.CancelAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => patches);
            // Whatever the kill cut, the catalog volume still holds a valid copy.
            var listing = await f.Array.ListVolumeInfosAsync();
            var copies = await ArrayStateCopies.ReadAllAsync(f.DeviceId, f.Array, listing, CancellationToken.None);
            Assert.Contains(copies, c => c.Valid && c.Document!.Generation >= s1.Generation);
            await f.StartServerAsync();
        }
        await f.LoseCatalogAsync();
        await f.StartServerAsync();
        var state = (await RebuildAsync(f)).State!;
        Assert.NotNull(state.Source);
        Assert.True(state.Generation > s1.Generation);
        Assert.Equal(["first"], (await f.Client.ListDefinitionsAsync()).Select(d => d.Name));
    }

    [Fact]
    public async Task A_torn_write_into_the_other_slot_leaves_the_newest_complete_copy_in_use()
    {
        await using var f = await ServerRig.StartAsync(Options());
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("first", f.Secondary, "first", f.DeviceId));
        var s1 = await CopyWrittenAsync(f, DateTimeOffset.UtcNow.AddSeconds(-1));
        await f.StopServerAsync();
        // What a crash half way through the next write leaves: the first half of a newer envelope in the other slot.
        string target = Assert.Single(s1.Targets);
        uint volume = uint.Parse(target.Split(' ')[3], System.Globalization.CultureInfo.InvariantCulture);
        long other = target.EndsWith("slot A", StringComparison.Ordinal) ? ArrayStateCopies.SlotBytes : 0;
        byte[] newer = StateEnvelope.Encode(new StateDocument { ServerId = s1.ServerId, Generation = s1.Generation + 1, Written = DateTimeOffset.UtcNow });
        await f.Array.WriteContentAsync(volume, other, newer.AsMemory(0, newer.Length / 2));
        await f.LoseCatalogAsync();
        await f.StartServerAsync();
        var state = (await RebuildAsync(f)).State!;
        Assert.Equal((target, s1.Generation), (state.Source, state.Generation));
        var torn = Assert.Single(state.Copies, c => !c.Used);
        Assert.Contains("SHA-256", torn.Reason, StringComparison.Ordinal);
        Assert.Equal(["first"], (await f.Client.ListDefinitionsAsync()).Select(d => d.Name));
    }

    [Fact]
    public async Task A_failed_refresh_shows_in_status_and_healthz_and_is_retried()
    {
        var options = Options() with { ExtraArrays = new Dictionary<string, string> { ["ARRAY-GONE"] = "http://127.0.0.1:9" } };
        await using var f = await ServerRig.StartAsync(options);
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("first", f.Secondary, "first", f.DeviceId));
        StateCopyStatusDto? s = null;
        await Poll.UntilAsync(async () => (s = (await f.Client.GetStatusAsync()).StateCopy) is { LastError: not null }, Wait, "a failed refresh in the status");
        Assert.Contains("ARRAY-GONE", s!.LastError);
        Assert.Contains(s.Targets, t => t.StartsWith($"array {f.DeviceId} volume", StringComparison.Ordinal));   // the reachable array still got it
        using var http = new HttpClient(f.ServerNode.CreateHttpHandler()) { BaseAddress = f.Client.BaseUrl };
        string health = await http.GetStringAsync("/healthz");
        Assert.Contains("state_copy", health, StringComparison.Ordinal);
        Assert.Contains("retried", health, StringComparison.Ordinal);
        // Retried: the generation grows without any further change.
        long g = s.Generation;
        await Poll.UntilAsync(async () => (await f.Client.GetStatusAsync()).StateCopy!.Generation > g, Wait, "a retry");
        string line = Snapcat.Cli.Rendering.StatusTables.StateCopyLine((await f.Client.GetStatusAsync()).StateCopy!);
        Assert.StartsWith("State copy: FAILED", line, StringComparison.Ordinal);
    }
}
