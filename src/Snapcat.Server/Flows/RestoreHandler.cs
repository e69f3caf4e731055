using System.Text.Json.Nodes;
using Snapcat.Agent.Api;
using Snapcat.Agent.Hooks;
using Snapcat.Array.Api;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Server.Api;
using Snapcat.Server.Hosting;

namespace Snapcat.Server.Flows;

/// <summary>
/// Restore a backup: the whole volume back onto its primary through the agent of the host it came from
/// (FIG. 12), chosen files copied out of it (FIG. 13), or the whole volume onto another named volume
/// (<see cref="RestoreTarget"/>), which the array writes by volume copy without touching the primary.
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
        if (await RestoreTarget.CheckAsync(rt, row, volume, request, ct).ConfigureAwait(false) is { IsPrimary: false } target)
            return await RestoreOntoVolumeAsync(row, volume, target, job).ConfigureAwait(false);

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
        await rt.Jobs.RecordAgentJobAsync(job, row.Host, started.Id).ConfigureAwait(false);
        var done = agent.EnsureSucceeded(await agent.WaitForJobAsync(started.Id, new Progress(job), ct: ct).ConfigureAwait(false));
        // Steps 1625/1636: restore achievement reported back.
        job.Info($"agent job {done.Id} finished: restore of backup {backupId} done");
        var result = new JsonObject { ["backup"] = backupId, ["agentJob"] = done.Id };
        if (done.Result is not null) result["agentResult"] = done.Result.DeepClone();
        return result;
    }

    /// <summary>
    /// The backup volume copied onto the named volume by its array (FIG. 19 steps 3640-3646). The copy carries
    /// the backup's volume information; it is removed from the target afterwards, because a restored volume is
    /// live data, not a second backup (a rebuild must not list it). A crash between the two leaves the target
    /// looking like a copy of the backup, which is true of its data at that moment.
    /// </summary>
    private async Task<JsonNode?> RestoreOntoVolumeAsync(Catalog.BackupDataRow row, uint backupVolume, RestoreTarget target, JobContext job)
    {
        var ct = job.CancellationToken;
        var sourceArray = rt.Remotes.ArrayFor(row.DeviceId);
        var targetArray = rt.Remotes.ArrayFor(target.DeviceId);
        job.Info($"restoring backup {row.Id} (volume {backupVolume} on {row.DeviceId}) onto volume {target.Volume} on {target.DeviceId}; " +
            $"the primary of {row.Host}:{row.MountPoint} is not touched");

        // Like FIG. 9 step 2401: a backup the target held (allowed with --force) is about to be overwritten.
        int removed = await rt.Data.DeleteAtAsync(target.DeviceId, target.Volume.ToString(System.Globalization.CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        if (removed > 0) job.Warn($"removed {removed} catalog row(s) of volume {target.Volume} on {target.DeviceId}, which this restore overwrites");

        var order = target.DeviceId == row.DeviceId
            ? new VolumeCopyOrder(backupVolume, target.Volume)
            : new VolumeCopyOrder(backupVolume, null, target.DeviceId, target.Details!.Assignments[0].Port, target.Details.Assignments[0].Lun);
        var started = await sourceArray.StartVolumeCopyAsync(order, ct).ConfigureAwait(false);
        job.Info($"array {row.DeviceId} copies it as job {started.Id}");
        var done = ArrayClient.EnsureSucceeded(await sourceArray.WaitForJobAsync(started.Id, new Progress(job), ct: ct).ConfigureAwait(false));

        await targetArray.DeleteVolumeInfoAsync(target.Volume, CancellationToken.None).ConfigureAwait(false);
        job.Info($"restored {done.BytesDone} bytes onto volume {target.Volume} on {target.DeviceId} (volume information not carried over: it is no backup)");
        return new JsonObject
        {
            ["backup"] = row.Id, ["deviceId"] = target.DeviceId, ["volume"] = target.Volume, ["arrayJob"] = done.Id, ["bytes"] = done.BytesDone,
        };
    }

    /// <summary>Mirrors the agent (or array) job's byte progress into the server job.</summary>
    internal sealed class Progress(JobContext job) : IProgress<JobSnapshot>
    {
        public void Report(JobSnapshot value) => job.SetProgress(value.BytesDone, value.BytesTotal);
    }
}
