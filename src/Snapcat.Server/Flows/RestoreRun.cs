using System.Text.Json.Nodes;

namespace Snapcat.Server.Flows;

/// <summary>
/// What the disk-backup restores share — <see cref="VolumeRestoreHandler"/> (FIG. 12), <see cref="FileRestoreHandler"/>
/// (FIG. 13) and <see cref="RestoreOntoVolumeHandler"/>: the request's shape, the backup data the manager selected, the
/// named target, the hook names, and the wait for the agent's restore job.
/// </summary>
public static class RestoreRun
{
    /// <summary>
    /// Before a job starts (400): "files": [] asks for nothing and must not fall through to the
    /// whole-volume restore that a request WITHOUT files means — that overwrites the live primary.
    /// </summary>
    public static void Validate(RestoreRequest? request)
    {
        if (request?.Files is { Count: 0 })
            Throw.Invalid("restore.nothing_requested",
                "'files' is an empty list: name at least one path or glob to restore files, or leave 'files' out to restore the whole volume onto its primary");
        if (request?.Files is { } files && files.Any(string.IsNullOrWhiteSpace))
            Throw.Invalid("restore.path_empty", "'files' holds an empty entry");
    }

    /// <summary>The selected backup (FIG. 6 row), its volume and the named target, checked again now that the job runs.</summary>
    public sealed record Selected(BackupDataRow Row, uint Volume, RestoreTarget? Target);

    /// <summary>
    /// The manager selected the backup data (FIG. 6 row): host 271, mount point 272, device ID 274, media ID 275.
    /// <paramref name="ontoOtherVolume"/>: whether this flow writes a named volume other than the primary; a target
    /// that no longer says so (the row changed since the job was started) is a conflict, not another flow.
    /// </summary>
    public static async Task<Selected> SelectAsync(ServerRuntime rt, long backupId, RestoreRequest request, bool ontoOtherVolume, CancellationToken ct)
    {
        Validate(request);
        var row = await BackupRows.GetAsync(rt.Data, backupId, ct).ConfigureAwait(false);
        uint volume = BackupRows.Volume(row);
        var target = await RestoreTarget.CheckAsync(rt, row, volume, request, ct).ConfigureAwait(false);
        if ((target is { IsPrimary: false }) != ontoOtherVolume)
            Throw.Conflict("restore.target_changed",
                $"backup {backupId} changed since the restore was started: the named target is {(ontoOtherVolume ? "now its primary" : "no longer its primary")}; start the restore again");
        return new Selected(row, volume, target);
    }

    public static HookRef? Hook(string? name) => name is { Length: > 0 } n ? HookRef.Named(n) : null;

    /// <summary>
    /// A restore the agent of the backup's host runs: <paramref name="order"/> sends the command (steps 1620/1630); the
    /// agent's job is stored with ours (a crash is then reconciled), waited for with its progress relayed, and its
    /// achievement reported back (steps 1625/1636).
    /// </summary>
    public static async Task<JsonNode?> ThroughAgentAsync(ServerRuntime rt, long backupId, RestoreRequest request, JobContext job,
        Func<AgentClient, Selected, CancellationToken, Task<JobSnapshot>> order)
    {
        var selected = await SelectAsync(rt, backupId, request, ontoOtherVolume: false, job.CancellationToken).ConfigureAwait(false);
        var agent = rt.Remotes.AgentFor(selected.Row.Host);
        var started = await order(agent, selected, job.CancellationToken).ConfigureAwait(false);
        await rt.Jobs.RecordAgentJobAsync(job, selected.Row.Host, started.Id).ConfigureAwait(false);
        var done = AgentClient.EnsureSucceeded(await agent.WaitForJobAsync(started.Id, Remote.AgentHookRelay.Relay(rt, job, selected.Row.Host), ct: job.CancellationToken).ConfigureAwait(false));
        job.Info($"agent job {done.Id} finished: restore of backup {backupId} done");
        var result = new JsonObject { ["backup"] = backupId, ["agentJob"] = done.Id };
        if (done.Result is not null) result["agentResult"] = done.Result.DeepClone();
        return result;
    }
}
