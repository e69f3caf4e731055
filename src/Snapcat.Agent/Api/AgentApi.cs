using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Security;
using Microsoft.Extensions.Logging;
using Snapcat.Agent.Handlers;
using Snapcat.Core.Json;
using Snapcat.Core.VolumeInformation;

namespace Snapcat.Agent.Api;

/// <summary>
/// Every route of the agent's API contract (AgentContracts.cs). Thin: checks and steps live in the
/// handlers (Handlers/), errors are SnapcatExceptions that the error middleware answers as ErrorBody.
/// </summary>
public static partial class AgentApi
{
    public const string Version = "1";

    public static void MapAgentApi(this IEndpointRouteBuilder app, AgentRuntime runtime, ILoggerFactory logs)
    {
        var inquiry = new InquiryHandler(runtime);
        var copyDestinations = new CopyDestinationListHandler(runtime);
        var mirror = new MirrorBackupHandler(runtime);
        var snapshot = new SnapshotBackupHandler(runtime);
        var deletion = new BackupDeletionHandler(runtime);
        var streams = new VolumeStreamHandler(runtime, logs.CreateLogger("snapcat.agent.streams"));

        var v1 = app.MapGroup("/v1");

        v1.MapGet("/agent", () => Info(runtime)).RequireRole(CredentialRole.ReadOnly);

        v1.MapGet("/inquiry", (string? port, long? lun, HttpContext http) => inquiry.InquireAsync(port, lun, http.RequestAborted))
            .RequireRole(CredentialRole.ReadOnly);

        v1.MapGet("/copy-destinations", (string? mountPoint, HttpContext http) => copyDestinations.GetAsync(mountPoint, http.RequestAborted))
            .RequireRole(CredentialRole.ReadOnly);

        v1.MapPost("/backups", async (BackupOrder? body, HttpContext http) =>
        {
            if (body is null)
                Throw.Invalid("request.missing_body",
                    "POST /v1/backups needs a JSON body such as {\"kind\":\"mirror\",\"mountPoint\":\"/data\",\"label\":\"daily\",\"destinationVolume\":2}");
            // Exact lower-case names, as the order's kind is written (SnapcatJson): "Mirror" was refused before and still is.
            BackupKind? kind = body.Kind is "mirror" or "snapshot" && SnapcatJson.TryParse<BackupKind>(body.Kind, out var k) ? k : null;
            var job = kind switch
            {
                BackupKind.Mirror => await mirror.StartAsync(body, http.RequestAborted).ConfigureAwait(false),
                BackupKind.Snapshot => await snapshot.StartAsync(body, http.RequestAborted).ConfigureAwait(false),
                _ => throw new SnapcatException(ErrorKind.Invalid, "backup.bad_kind", $"backup kind '{body.Kind}' is not known; use \"mirror\" or \"snapshot\""),
            };
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Admin);

        v1.MapPost("/backup-deletions", async (BackupDeletionOrder? body, HttpContext http) =>
        {
            if (body is null)
                Throw.Invalid("request.missing_body",
                    "POST /v1/backup-deletions needs a JSON body such as {\"deviceId\":\"ARRAY-01\",\"volume\":7,\"isSnapshot\":true}");
            var job = await deletion.StartAsync(body, http.RequestAborted).ConfigureAwait(false);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Admin);

        v1.MapGet("/jobs", () => runtime.Jobs.List()).RequireRole(CredentialRole.ReadOnly);
        v1.MapGet("/jobs/{id}", (string id) => runtime.Jobs.Get(id).Snapshot()).RequireRole(CredentialRole.ReadOnly);
        v1.MapDelete("/jobs/{id}", (string id) =>
        {
            // The job ends Cancelled (or finishes first); a started preprocess's postprocess still runs.
            var job = runtime.Jobs.Get(id);
            job.Cancel();
            return Results.Accepted($"/v1/jobs/{job.Id}", job.Snapshot());
        }).RequireRole(CredentialRole.Admin);

        v1.MapGet("/streams/volume", (string? deviceId, uint? volume, HttpContext http) => streams.ReadOutAsync(http, deviceId, volume)).RequireRole(CredentialRole.Admin)
            .Produces<byte[]>(200, "application/octet-stream");
        v1.MapPut("/streams/volume", (string? deviceId, uint? volume, HttpContext http) => streams.WriteInAsync(http, deviceId, volume)).RequireRole(CredentialRole.Admin)
            .Accepts<byte[]>("application/octet-stream");

        app.MapRestoreApi(runtime);
    }

    private static AgentInfo Info(AgentRuntime runtime)
    {
        var c = runtime.Config;
        return new AgentInfo(
            c.HostName,
            typeof(AgentApi).Assembly.GetName().Version?.ToString() ?? Version,
            c.PortCorrespondence.Select(p => new ProtectedVolumeDto(p.MountPoint, p.DeviceFile, p.DataPortAddress.ToString(), checked((uint)p.Lun))).ToList(),
            c.RestorePorts.Select(p => new RestorePortDto(p.DataPortAddress.ToString(), checked((uint)p.Lun), p.MountDirectory, runtime.IsRestorePortInUse(p))).ToList(),
            c.Hooks.Keys.Order(StringComparer.Ordinal).ToList(),
            c.AllowRawCommands,
            c.Arrays.Keys.Order(StringComparer.Ordinal).ToList());
    }
}
