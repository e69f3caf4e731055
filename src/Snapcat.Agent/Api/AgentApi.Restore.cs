using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Security;
using Snapcat.Agent.Handlers;

namespace Snapcat.Agent.Api;

// The restore routes (AgentContracts.cs): volume restore (FIG. 12) and file restore (FIG. 13), each a
// job. Everything checkable from the order and this host's configuration is checked before the job
// starts, so a bad order is an immediate 400/403/404 and nothing runs; errors are SnapcatExceptions
// that the daemon's error middleware turns into ErrorBody answers.
public static partial class AgentApi
{
    public static void MapRestoreApi(this IEndpointRouteBuilder app, AgentRuntime runtime)
    {
        var volumeRestore = new VolumeRestoreHandler(runtime);
        var fileRestore = new FileRestoreHandler(runtime);

        app.MapPost("/v1/volume-restores", (VolumeRestoreOrder? body) =>
        {
            VolumeRestoreHandler.Validate(body);
            volumeRestore.CheckAgainstConfig(body!);
            var job = runtime.Jobs.Start(VolumeRestoreHandler.Operation,
                $"restore {body!.MountPoint} from backup volume {body.BackupVolume}" + (body.Force ? " (forced)" : ""),
                ctx => volumeRestore.RunAsync(body, ctx));
            return Results.Accepted($"/v1/jobs/{job.Id}", job.Snapshot());
        }).RequireRole(CredentialRole.Admin);

        app.MapPost("/v1/file-restores", async (FileRestoreOrder? body, HttpContext http) =>
        {
            FileRestoreHandler.Validate(body);
            fileRestore.CheckAgainstConfig(body!);
            // A restore port of the backup volume's own array, or a clear 409 now rather than a failed job.
            await runtime.EnsureRestorePortOnAsync(body!.DeviceId, http.RequestAborted).ConfigureAwait(false);
            var job = runtime.Jobs.Start(FileRestoreHandler.Operation,
                $"restore {body!.Paths.Count} path(s) from volume {body.BackupVolume} of {body.DeviceId} to {body.Destination ?? body.MountPoint}",
                ctx => fileRestore.RunAsync(body, ctx));
            return Results.Accepted($"/v1/jobs/{job.Id}", job.Snapshot());
        }).RequireRole(CredentialRole.Admin);
    }
}
