using System.Text.Json.Nodes;

namespace Snapcat.Server.Flows;

/// <summary>
/// FIG. 13, file restore: chosen files copied out of a backup by the agent of the host it came from, which attaches
/// the backup volume on a restore port, mounts it read-only and copies them into the mount point or a named directory.
///
///   1630      the command names the files
///   1631-1635 the agent's flow, its progress relayed here
///   1636      restore achievement reported back (<see cref="RestoreRun.ThroughAgentAsync"/>)
/// </summary>
public sealed class FileRestoreHandler(ServerRuntime rt)
{
    public Task<JsonNode?> RunAsync(long backupId, RestoreRequest request, JobContext job) =>
        RestoreRun.ThroughAgentAsync(rt, backupId, request, job, (agent, s, ct) =>
        {
            var files = request.Files ?? [];
            job.Info($"restoring {files.Count} path(s) of backup {backupId} to {request.Destination ?? s.Row.MountPoint} on {s.Row.Host}");
            return agent.StartFileRestoreAsync(new FileRestoreOrder(s.Row.DeviceId, s.Volume, files, s.Row.MountPoint, request.Destination,
                RestoreRun.Hook(request.PreHook), RestoreRun.Hook(request.PostHook)), ct);
        });
}
