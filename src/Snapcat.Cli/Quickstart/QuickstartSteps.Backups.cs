using System.Text.Json;
using Snapcat.Core.Jobs;
using Snapcat.Server.Flows;

namespace Snapcat.Cli.Quickstart;

// Backups and the catalog, through the server's client: the calls `snapcat definition create`,
// `snapcat backup run --wait`, `snapcat backup list` and `snapcat catalog rebuild` make.
public static partial class QuickstartSteps
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(60);

    private static async Task DefineAsync(QuickstartContext c, CancellationToken ct)
    {
        var server = c.RequireServer();
        foreach (var (definition, command) in Definitions(c))
        {
            await server.CreateDefinitionAsync(definition, ct).ConfigureAwait(false);
            c.Note(command);
        }
        c.Note("(the server checked the mirror's destination against the agent's copy destination list, FIG. 8)");
        c.Show(ServerTables.Definitions(await server.ListDefinitionsAsync(ct).ConfigureAwait(false)));
    }

    /// <summary>The tour's two definitions, each with the CLI command that creates it.</summary>
    private static IEnumerable<(DefinitionDto Definition, string Command)> Definitions(QuickstartContext c)
    {
        yield return (new DefinitionDto
        {
            Name = QuickstartContext.MirrorDefinition, Host = QuickstartContext.Host, MountPoint = QuickstartContext.MountPoint,
            Kind = "mirror", DeviceId = c.DeviceId, DestinationVolume = c.Secondary, PreHook = "freeze", PostHook = "thaw",
            Label = "quickstart-mirror", Schedule = "0 3 * * *", TimeZone = "UTC",
        }, $"snapcat definition create {QuickstartContext.MirrorDefinition} --host {QuickstartContext.Host} --mount-point {QuickstartContext.MountPoint} --kind mirror " +
           $"--device {c.DeviceId} --volume {c.Secondary} --pre freeze --post thaw --label quickstart-mirror --schedule '0 3 * * *'");
        yield return (new DefinitionDto
        {
            Name = QuickstartContext.SnapshotDefinition, Host = QuickstartContext.Host, MountPoint = QuickstartContext.MountPoint,
            Kind = "snapshot", DeviceId = c.DeviceId, PreHook = "freeze", PostHook = "thaw",
            Label = "quickstart-snapshot", KeepGenerations = 2,
        }, $"snapcat definition create {QuickstartContext.SnapshotDefinition} --host {QuickstartContext.Host} --mount-point {QuickstartContext.MountPoint} --kind snapshot " +
           $"--device {c.DeviceId} --pre freeze --post thaw --label quickstart-snapshot --keep 2");
    }

    private static async Task RunMirrorAsync(QuickstartContext c, CancellationToken ct) =>
        c.MirrorBackupId = await RunBackupAsync(c, QuickstartContext.MirrorDefinition, ct).ConfigureAwait(false);

    private static async Task RunSnapshotAsync(QuickstartContext c, CancellationToken ct) =>
        c.SnapshotBackupId = await RunBackupAsync(c, QuickstartContext.SnapshotDefinition, ct).ConfigureAwait(false);

    private static async Task<long> RunBackupAsync(QuickstartContext c, string definition, CancellationToken ct)
    {
        var server = c.RequireServer();
        int hookLines = File.Exists(c.HookLogPath) ? File.ReadAllLines(c.HookLogPath).Length : 0;
        var job = await WaitAsync(server, await server.RunDefinitionAsync(definition, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        var outcome = job.Result?.Deserialize<BackupRunOutcome>(ServerClient.Json)
            ?? throw new SnapcatException(ErrorKind.Remote, "quickstart.no_outcome", $"backup job {job.Id} finished without a result");
        c.Note($"snapcat backup run {definition} --wait  -> job {job.Id} succeeded; backup {outcome.BackupId} is volume {outcome.Volume} on {outcome.DeviceId}, time stamp {outcome.Timestamp:u}");
        foreach (string line in File.Exists(c.HookLogPath) ? File.ReadAllLines(c.HookLogPath).Skip(hookLines) : [])
            c.Note("hooks.log: " + line);
        return outcome.BackupId;
    }

    private static async Task ShowCatalogAsync(QuickstartContext c, CancellationToken ct)
    {
        var rows = await c.RequireServer().SearchBackupsAsync(new BackupDataFilter { Host = QuickstartContext.Host }, ct).ConfigureAwait(false);
        if (rows.Count != 2)
            Throw.Internal("quickstart.catalog", $"the catalog holds {rows.Count} backups of {QuickstartContext.Host}, expected the mirror and the snapshot");
        c.CatalogBeforeLoss = rows;
        c.Note($"snapcat backup list --host {QuickstartContext.Host}");
        c.Show(ServerTables.Backups(rows));
        c.DefinitionsBeforeLoss = await c.RequireServer().ListDefinitionsAsync(ct).ConfigureAwait(false);
        var copy = await WaitForStateCopyAsync(c, ct).ConfigureAwait(false);
        c.Note($"snapcat status  -> state copy generation {copy.Generation} (definitions, backup volume table, job history) on {string.Join(", ", copy.Targets)}");
    }

    /// <summary>Waits (at most 30 s) until the server's state copy holds every change so far: written, none due, no failure.</summary>
    private static async Task<StateCopyStatusDto> WaitForStateCopyAsync(QuickstartContext c, CancellationToken ct)
    {
        var server = c.RequireServer();
        var since = DateTimeOffset.UtcNow;
        var deadline = since + TimeSpan.FromSeconds(30);
        while (true)
        {
            var s = (await server.GetStatusAsync(null, ct).ConfigureAwait(false)).StateCopy;
            if (s is { Pending: false, LastError: null, LastWritten: { } w, Targets.Count: > 0 } && w >= since.AddSeconds(-10)) return s;
            if (DateTimeOffset.UtcNow > deadline)
                Throw.Internal("quickstart.no_state_copy", $"the server wrote no state copy within 30 s ({s?.LastError ?? "none written"}); see server.log");
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    private static async Task LoseCatalogAsync(QuickstartContext c, CancellationToken ct)
    {
        var old = c.Server!;
        int pid = old.Pid;
        await old.StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        await old.DisposeAsync().ConfigureAwait(false);
        c.Server = null;
        int deleted = 0;
        foreach (string suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            if (!File.Exists(c.CatalogPath + suffix)) continue;
            File.Delete(c.CatalogPath + suffix);
            deleted++;
        }
        if (deleted == 0)
            Throw.Internal("quickstart.no_catalog", $"no catalog file at {c.CatalogPath} to delete");
        c.Note($"stopped the server (pid {pid}), deleted catalog.db");
        c.Server = DaemonChild.Start("server", c.ServerConfigPath, c.Path("server.log"));
        var server = c.RequireServer();
        await WaitReadyAsync(c, c.Server, async () => $"catalog {(await server.GetServerAsync(ct).ConfigureAwait(false)).Catalog}", ct).ConfigureAwait(false);
        var rows = await server.SearchBackupsAsync(new BackupDataFilter(), ct).ConfigureAwait(false);
        var definitions = await server.ListDefinitionsAsync(ct).ConfigureAwait(false);
        c.Note($"the new catalog holds {rows.Count} backups and {definitions.Count} definitions");
    }

    private static async Task RebuildAsync(QuickstartContext c, CancellationToken ct)
    {
        var server = c.RequireServer();
        var job = await WaitAsync(server, await server.RebuildAsync(new RebuildRequest([c.DeviceId]), ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        var report = job.Result?.Deserialize<RebuildReport>(ServerClient.Json)
            ?? throw new SnapcatException(ErrorKind.Remote, "quickstart.no_report", $"rebuild job {job.Id} finished without a report");
        c.Note($"snapcat catalog rebuild --array {c.DeviceId}  -> {report.Added} added, {report.Unchanged} already there, {report.Updated} updated, {report.Invalid} invalid");
        if (report.State is not { Source: { } source } state)
            throw new SnapcatException(ErrorKind.Internal, "quickstart.no_state_restored", $"the rebuild restored no state copy: {report.State?.Problem ?? "none looked for"}");
        c.Note($"state copy used: {source} (generation {state.Generation}, written {state.Written:u}): {state.Definitions?.Restored} definitions, " +
            $"{state.BackupVolumes?.Restored} backup volume table entries, {state.Jobs?.Restored} job summaries restored; " +
            $"{state.BackupRows?.Restored} backup rows completed from it, {state.BackupRows?.FromRecordsOnly} from the records only");
        c.Show(ServerTables.Rebuild(report));
        var rows = await server.SearchBackupsAsync(new BackupDataFilter { Host = QuickstartContext.Host }, ct).ConfigureAwait(false);
        c.Show(ServerTables.Backups(rows));
        var before = c.CatalogBeforeLoss.Select(Key).Order().ToList();
        var after = rows.Select(Key).Order().ToList();
        if (!before.SequenceEqual(after))
            Throw.Internal("quickstart.rebuild_differs",
                $"the rebuilt catalog differs from the one lost:\nbefore: {string.Join("; ", before)}\nafter:  {string.Join("; ", after)}");
        c.Note($"the same {rows.Count} rows came back with the same IDs, origins and definitions (record version 2 carries them), host, mount point, label, time stamp, kind, device ID and media ID");
        // Restores below go by the rows' IDs (kept by the rebuild).
        c.MirrorBackupId = rows.Single(r => r.Kind == "mirror").Id;
        c.SnapshotBackupId = rows.Single(r => r.Kind == "snapshot").Id;
        // The definitions come back from the state copy, every field (the next steps run them again).
        var definitions = await server.ListDefinitionsAsync(ct).ConfigureAwait(false);
        static string Def(DefinitionDto d) => System.Text.Json.JsonSerializer.Serialize(d with { NextRun = null, Running = false }, ServerClient.Json);
        var lost = c.DefinitionsBeforeLoss.Select(Def).Order().ToList();
        var back = definitions.Select(Def).Order().ToList();
        if (!lost.SequenceEqual(back))
            Throw.Internal("quickstart.definitions_differ", $"the rebuilt definitions differ from the ones lost:\nbefore: {string.Join("; ", lost)}\nafter:  {string.Join("; ", back)}");
        c.Note($"the {definitions.Count} definitions came back too, schedules, hooks and retention included (from the state copy)");
        c.Show(ServerTables.Definitions(definitions));
    }

    private static string Key(BackupDto b) => $"{b.Id} {b.Host} {b.MountPoint} {b.Label} {b.Timestamp:O} {b.Kind} {b.DeviceId} {b.MediaId} {b.Origin} {b.Definition}";

    private static async Task<JobSnapshot> WaitAsync(ServerClient server, JobSnapshot started, CancellationToken ct) =>
        ServerClient.EnsureSucceeded(await server.WaitForJobAsync(started.Id, timeout: JobTimeout, ct: ct).ConfigureAwait(false));
}
