using System.Text.Json.Nodes;
using Snapcat.Agent.Api;
using Snapcat.Agent.Hooks;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Server.Api;
using Snapcat.Server.Hosting;

namespace Snapcat.Server.Flows;

/// <summary>
/// Restore a backup through the agent of the host it came from: the whole volume back onto its primary
/// (FIG. 12), or chosen files copied out of it (FIG. 13). The agent runs the pre/postprocesses and talks
/// to the array; the server only picks the backup and waits.
/// </summary>
public sealed class RestoreHandler(ServerRuntime rt)
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

    public async Task<JsonNode?> RunAsync(long backupId, RestoreRequest request, JobContext job)
    {
        Validate(request);
        var ct = job.CancellationToken;
        // The manager selected the backup data (FIG. 6 row): host 271, mount point 272, device ID 274, media ID 275.
        var row = await BackupRows.GetAsync(rt.Data, backupId, ct).ConfigureAwait(false);
        uint volume = BackupRows.Volume(row);
        var agent = rt.Remotes.AgentFor(row.Host);
        HookRef? pre = request.PreHook is { Length: > 0 } p ? HookRef.Named(p) : null;
        HookRef? post = request.PostHook is { Length: > 0 } q ? HookRef.Named(q) : null;

        JobSnapshot started;
        if (request.Files is not { Count: > 0 } files)
        {
            // FIG. 12 step 1620: restore command with mount point and restore source volume number.
            job.Info($"restoring {row.Host}:{row.MountPoint} from backup {backupId} (volume {volume} on {row.DeviceId})");
            started = await agent.StartVolumeRestoreAsync(new VolumeRestoreOrder(row.MountPoint, volume, pre, post, request.Force), ct).ConfigureAwait(false);
        }
        else
        {
            // FIG. 13 step 1630: the command names the files; the agent attaches the backup volume on a restore port and copies them.
            job.Info($"restoring {files.Count} path(s) of backup {backupId} to {request.Destination ?? row.MountPoint} on {row.Host}");
            started = await agent.StartFileRestoreAsync(new FileRestoreOrder(row.DeviceId, volume, files, row.MountPoint, request.Destination, pre, post), ct).ConfigureAwait(false);
        }
        var done = agent.EnsureSucceeded(await agent.WaitForJobAsync(started.Id, new Progress(job), ct: ct).ConfigureAwait(false));
        // Steps 1625/1636: restore achievement reported back.
        job.Info($"agent job {done.Id} finished: restore of backup {backupId} done");
        var result = new JsonObject { ["backup"] = backupId, ["agentJob"] = done.Id };
        if (done.Result is not null) result["agentResult"] = done.Result.DeepClone();
        return result;
    }

    /// <summary>Mirrors the agent job's byte progress into the server job.</summary>
    internal sealed class Progress(JobContext job) : IProgress<JobSnapshot>
    {
        public void Report(JobSnapshot value) => job.SetProgress(value.BytesDone, value.BytesTotal);
    }
}
