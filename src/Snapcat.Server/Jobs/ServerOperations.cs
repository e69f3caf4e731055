using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Snapcat.Server.Flows;
using Snapcat.Server.Scheduling;

namespace Snapcat.Server.Jobs;

/// <summary>
/// Starts every long operation as a server job with its flow handler. Also the scheduler's
/// <see cref="IBackupRunStarter"/>: one run per definition at a time, whether started by hand or by cron.
/// </summary>
public sealed class ServerOperations(ServerRuntime rt) : IBackupRunStarter
{
    private readonly ConcurrentDictionary<string, string> _running = new(StringComparer.Ordinal);

    public bool IsRunning(string definition) => _running.ContainsKey(definition);

    /// <summary>Whether any backup run is going (the orphan delete waits for none).</summary>
    public bool AnyRunning => !_running.IsEmpty;

    public bool TryStart(BackupDefinition definition, string trigger) => TryStartRun(definition, trigger) is not null;

    /// <summary>Runs a definition now (by hand); a conflict when its previous run is still going.</summary>
    public async Task<JobSnapshot> RunNowAsync(string name, CancellationToken ct = default)
    {
        var d = await rt.Definitions.GetAsync(name, ct).ConfigureAwait(false);
        // A disabled definition still runs by hand; its log says so.
        var job = TryStartRun(d, d.Enabled ? "started by hand" : "started by hand; the definition is disabled, the scheduler does not fire it");
        if (job is null)
            Throw.Conflict("definition.running",
                $"backup '{name}' is running already (job {_running.GetValueOrDefault(name)}); wait for it with 'snapcat job wait {_running.GetValueOrDefault(name)}'");
        return job.Snapshot();
    }

    private Job? TryStartRun(BackupDefinition d, string trigger)
    {
        // Reserve the name first so two triggers in the same instant cannot both start.
        if (!_running.TryAdd(d.Name, "starting")) return null;
        try
        {
            var job = rt.Jobs.Start("backup", $"{d.Kind} backup '{d.Name}' of {d.Host}:{d.MountPoint}", d.Name, ctx =>
            {
                // A definition stored before a rule existed (e.g. a preprocess without postprocess, issue 15.3)
                // fails here with that rule's error instead of freezing the volume.
                d.Validate();
                return RunBackupAsync(d, trigger, ctx);
            });
            _running[d.Name] = job.Id;
            _ = job.Completion.ContinueWith(_ => _running.TryRemove(d.Name, out string? _), TaskScheduler.Default);
            return job;
        }
        catch
        {
            _running.TryRemove(d.Name, out _);
            throw;
        }
    }

    /// <summary>
    /// Step 2400: the backup classification decides the flow — FIG. 9 mirror, FIG. 17 snapshot, or a tape backup
    /// (temporary snapshot streamed to the library) — after the checks every flow shares (<see cref="BackupRun.PrepareAsync"/>).
    /// </summary>
    private async Task<JsonNode?> RunBackupAsync(BackupDefinition d, string trigger, JobContext job)
    {
        Func<BackupDefinition, JobContext, Task<JsonNode?>> flow = d.KindValue switch
        {
            BackupKind.Mirror => new MirrorBackupHandler(rt).RunAsync,
            BackupKind.Snapshot => new SnapshotBackupHandler(rt).RunAsync,
            BackupKind.Tape => new TapeBackupHandler(rt).RunAsync,
            _ => throw new SnapcatException(ErrorKind.Invalid, "definition.kind_unknown",
                $"definition '{d.Name}' is a {d.Kind} backup; this server runs {string.Join(", ", BackupDefinition.Kinds)} backups"),
        };
        await BackupRun.PrepareAsync(rt, d, trigger, job).ConfigureAwait(false);
        return await flow(d, job).ConfigureAwait(false);
    }

    public async Task<JobSnapshot> StartRestoreAsync(long backupId, RestoreRequest request, CancellationToken ct = default)
    {
        var row = await BackupRows.GetAsync(rt.Data, backupId, ct).ConfigureAwait(false);
        if (rt.Tapes is { } tapes && row.DeviceId == tapes.LibraryId && request.Files is { Count: > 0 } tapeFiles)
        {
            // Through a scratch volume on the backup's original array (or the named one); checked now, a 400 not a failed job.
            string scratchArray = TapeFileRestoreHandler.ScratchArrayOf(row, request);
            rt.Remotes.ArrayFor(scratchArray);
            rt.Remotes.AgentFor(row.Host);
            return rt.Jobs.Start("restore", $"file restore of {tapeFiles.Count} path(s) from tape backup {backupId} ({row.MediaId}) through a scratch volume on {scratchArray}", null,
                ctx => new TapeFileRestoreHandler(rt).RunAsync(backupId, request, ctx)).Snapshot();
        }
        if (rt.Tapes is { } library && row.DeviceId == library.LibraryId)
        {
            // Checked now so a bad target is a 400, not a failed job.
            var (device, volume) = RestoreFromTapeHandler.TargetOf(row, request);
            rt.Remotes.AgentFor(row.Host);
            await RestoreFromTapeHandler.CheckTargetAsync(rt.Remotes.ArrayFor(device), device, volume, request.Force, ct).ConfigureAwait(false);
            await Retention.BackupProtection.EnsureNotProtectedAtAsync(rt, device, volume, ct).ConfigureAwait(false);   // not even --force overwrites one
            return rt.Jobs.Start("restore", $"restore of tape backup {backupId} ({row.MediaId}) into volume {volume} on {device}", null,
                ctx => new RestoreFromTapeHandler(rt).RunAsync(backupId, request, ctx)).Snapshot();
        }
        // A named target (issue 15.1) is checked now: the backup volume itself or an unknown volume is a 4xx, not a failed job.
        var target = await RestoreTarget.CheckAsync(rt, row, BackupRows.Volume(row), request, ct).ConfigureAwait(false);
        if (target is not { IsPrimary: false })
            rt.Remotes.AgentFor(row.Host); // an unknown host is a clear error now, not a failed job later
        // FIG. 13 chosen files, a named volume other than the primary (by the array's volume copy), or FIG. 12.
        Func<long, RestoreRequest, JobContext, Task<JsonNode?>> flow = (request.Files, target) switch
        {
            ({ Count: > 0 }, _) => new FileRestoreHandler(rt).RunAsync,
            (_, { IsPrimary: false }) => new RestoreOntoVolumeHandler(rt).RunAsync,
            _ => new VolumeRestoreHandler(rt).RunAsync,
        };
        string what = request.Files is { Count: > 0 } ? "file restore" : "volume restore";
        string onto = target is { IsPrimary: false } t ? $" onto volume {t.Volume} on {t.DeviceId}" : "";
        return rt.Jobs.Start("restore", $"{what} of backup {backupId} ({row.Host}:{row.MountPoint} '{row.Label}'){onto}", null,
            ctx => flow(backupId, request, ctx)).Snapshot();
    }

    public async Task<JobSnapshot> StartDeleteAsync(long backupId, CancellationToken ct = default)
    {
        var row = await BackupRows.GetAsync(rt.Data, backupId, ct).ConfigureAwait(false);
        Retention.BackupProtection.EnsureDeletable(row, rt.Time.GetUtcNow());   // a 409 now, not a failed job
        return rt.Jobs.Start("delete", $"delete backup {backupId} (volume {row.MediaId} on {row.DeviceId})", null,
            ctx => new DeleteBackupHandler(rt).RunAsync(backupId, ctx)).Snapshot();
    }

    public async Task<JobSnapshot> StartCopyAsync(long backupId, CopyRequest request, CancellationToken ct = default)
    {
        var row = await BackupRows.GetAsync(rt.Data, backupId, ct).ConfigureAwait(false);
        rt.Remotes.ArrayFor(row.DeviceId);
        if (request.DeviceId is { Length: > 0 } other) rt.Remotes.ArrayFor(other);
        return rt.Jobs.Start("copy", $"copy backup {backupId} (volume {row.MediaId} on {row.DeviceId})", null,
            ctx => new CopyBackupHandler(rt).RunAsync(backupId, request, ctx)).Snapshot();
    }

    public JobSnapshot StartRebuild(RebuildRequest request)
    {
        var devices = request.DeviceIds is { Count: > 0 } d ? d : null;
        foreach (string device in devices ?? []) rt.Remotes.ArrayFor(device);
        bool tapes = request.Tapes ?? (rt.Tapes is not null && devices is null);
        if (tapes) rt.TapeLibraryOrThrow();
        string which = (devices is null ? "all arrays" : string.Join(", ", devices)) + (tapes ? $" and tape library {rt.Tapes!.LibraryId}" : "");
        return rt.Jobs.Start("rebuild", $"rebuild the catalog from {which}", null,
            ctx => new RebuildCatalogFromArrayHandler(rt).RunAsync(devices, ctx, tapes, request.State, request.FromServer)).Snapshot();
    }

    public async Task<JobSnapshot> StartTapeCopyAsync(long backupId, TapeCopyRequest request, CancellationToken ct = default)
    {
        var library = rt.TapeLibraryOrThrow();
        var row = await BackupRows.GetAsync(rt.Data, backupId, ct).ConfigureAwait(false);
        if (row.DeviceId == library.LibraryId)
            Throw.Invalid("tape.copy.source", $"backup {backupId} is on tape ({row.MediaId}) already; copy a backup held on an array");
        BackupRows.Volume(row);
        rt.Remotes.AgentFor(row.Host);
        if (request.Move) Retention.BackupProtection.EnsureDeletable(row, rt.Time.GetUtcNow());   // a move deletes the disk backup
        string what = request.Move ? "move" : "copy";
        return rt.Jobs.Start("tape-copy", $"{what} backup {backupId} (volume {row.MediaId} on {row.DeviceId}) to tape library {library.LibraryId}", null,
            ctx => new CopyToTapeHandler(rt).RunAsync(backupId, request.Move, ctx)).Snapshot();
    }

    /// <summary>A disk backup verified on its array, a tape backup read back (issue 13, <see cref="VerifyBackupHandler"/>).</summary>
    public Task<JobSnapshot> StartVerifyAsync(long backupId, CancellationToken ct = default) => VerifyBackupHandler.StartAsync(rt, backupId, ct);
}
