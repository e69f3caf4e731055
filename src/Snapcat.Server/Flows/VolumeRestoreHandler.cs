using System.Text.Json.Nodes;

namespace Snapcat.Server.Flows;

/// <summary>
/// FIG. 12, volume restore: the whole backup volume back onto its primary, through the agent of the host it came
/// from, which runs the pre/postprocess (e.g. unmount, then fsck and mount) around the array's restore.
///
///   1620      restore command with mount point and restore source volume number
///   1621-1624 the agent's flow (preprocess, array restore, postprocess), its progress relayed here
///   1625      restore achievement reported back (<see cref="RestoreRun.ThroughAgentAsync"/>)
/// </summary>
public sealed class VolumeRestoreHandler(ServerRuntime rt)
{
    public Task<JsonNode?> RunAsync(long backupId, RestoreRequest request, JobContext job) =>
        RestoreRun.ThroughAgentAsync(rt, backupId, request, job, (agent, s, ct) =>
        {
            job.Info($"restoring {s.Row.Host}:{s.Row.MountPoint} from backup {backupId} (volume {s.Volume} on {s.Row.DeviceId})");
            return agent.StartVolumeRestoreAsync(
                new VolumeRestoreOrder(s.Row.MountPoint, s.Volume, RestoreRun.Hook(request.PreHook), RestoreRun.Hook(request.PostHook), request.Force), ct);
        });
}
