using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Security;
using Snapcat.Server.Definitions;
using Snapcat.Server.Jobs;
using Snapcat.Server.Scheduling;

namespace Snapcat.Server.Api;

/// <summary>Every route of the server contract (ServerContracts.cs). Handlers only translate; flows live in Flows/.</summary>
public static class ServerApi
{
    public const string Version = "1";

    public static void MapServerApi(this IEndpointRouteBuilder app, ServerRuntime rt, ServerOperations ops, BackupScheduler? scheduler)
    {
        var v1 = app.MapGroup("/v1");
        var definitions = new DefinitionService(rt);

        v1.MapGet("/server", async (CancellationToken ct) => new ServerInfo(
            typeof(ServerApi).Assembly.GetName().Version?.ToString() ?? Version,
            rt.Catalog.Description,
            rt.Remotes.Hosts.Order(StringComparer.Ordinal).ToList(),
            rt.Remotes.DeviceIds.Order(StringComparer.Ordinal).ToList(),
            (await rt.Definitions.ListAsync(ct).ConfigureAwait(false)).Count,
            await rt.Data.CountAsync(ct).ConfigureAwait(false),
            await PeerReachability.ProbeAsync(rt, ct).ConfigureAwait(false))).RequireRole(CredentialRole.ReadOnly);

        v1.MapGet("/definitions", async (CancellationToken ct) =>
        {
            var now = rt.Time.GetUtcNow();
            return (await rt.Definitions.ListAsync(ct).ConfigureAwait(false)).Select(d => d.ToDto(now, ops.IsRunning(d.Name))).ToList();
        }).RequireRole(CredentialRole.ReadOnly);

        v1.MapPost("/definitions", async (DefinitionDto? body, CancellationToken ct) =>
        {
            if (body is null) Throw.Invalid("request.missing_body", "POST /v1/definitions needs a backup definition as JSON");
            var d = await definitions.CreateAsync(body.ToDefinition(), ct).ConfigureAwait(false);
            scheduler?.Wake();
            return Results.Created($"/v1/definitions/{Uri.EscapeDataString(d.Name)}", d.ToDto(rt.Time.GetUtcNow(), false));
        }).RequireRole(CredentialRole.Admin);

        v1.MapGet("/definitions/{name}", async (string name, CancellationToken ct) =>
            (await rt.Definitions.GetAsync(name, ct).ConfigureAwait(false)).ToDto(rt.Time.GetUtcNow(), ops.IsRunning(name))).RequireRole(CredentialRole.ReadOnly);

        v1.MapPut("/definitions/{name}", async (string name, DefinitionDto? body, CancellationToken ct) =>
        {
            if (body is null) Throw.Invalid("request.missing_body", "PUT /v1/definitions/{name} needs the backup definition as JSON");
            if (body.Name != name) Throw.Invalid("definition.rename", $"the body names '{body.Name}' but the route '{name}'; a definition cannot be renamed");
            var d = await definitions.UpdateAsync(body.ToDefinition(), ct).ConfigureAwait(false);
            scheduler?.Wake();
            return d.ToDto(rt.Time.GetUtcNow(), ops.IsRunning(name));
        }).RequireRole(CredentialRole.Admin);

        // Day-2 changes (schedule, hooks, label, retention, enabled) are an operator's; PUT (the whole definition) stays an admin's.
        v1.MapPatch("/definitions/{name}", async (string name, DefinitionPatch? body, CancellationToken ct) =>
        {
            if (body is null) Throw.Invalid("request.missing_body", "PATCH /v1/definitions/{name} needs the fields to change as JSON, e.g. {\"enabled\": false}");
            var d = await definitions.PatchAsync(name, body, ct).ConfigureAwait(false);
            scheduler?.Wake();
            return d.ToDto(rt.Time.GetUtcNow(), ops.IsRunning(name));
        }).RequireRole(CredentialRole.Operator);

        v1.MapDelete("/definitions/{name}", async (string name, CancellationToken ct) =>
        {
            await rt.Definitions.DeleteAsync(name, ct).ConfigureAwait(false);
            return Results.NoContent();
        }).RequireRole(CredentialRole.Admin);

        v1.MapPost("/definitions/{name}/runs", async (string name, CancellationToken ct) =>
        {
            var job = await ops.RunNowAsync(name, ct).ConfigureAwait(false);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Operator);

        v1.MapGet("/backup-volumes", async (CancellationToken ct) =>
            (await rt.Volumes.ListAsync(ct).ConfigureAwait(false)).Select(v => new BackupVolumeDto(v.Host, v.MountPoint, v.DeviceId, v.CopyTo)).ToList())
                .RequireRole(CredentialRole.ReadOnly);

        v1.MapGet("/backups", async (string? host, string? mountPoint, string? label, string? kind, string? deviceId, string? definition,
            string? from, string? to, int? limit, int? offset, CancellationToken ct) =>
        {
            var filter = new BackupDataFilter
            {
                Host = host, MountPoint = mountPoint, Label = label, Kind = kind, DeviceId = deviceId, Definition = definition,
                From = RouteValues.Time(from, "from"), To = RouteValues.Time(to, "to"), Limit = limit ?? 100, Offset = offset ?? 0,
            };
            return (await rt.Data.SearchAsync(filter, ct).ConfigureAwait(false)).Select(r => r.ToDto()).ToList();
        }).RequireRole(CredentialRole.ReadOnly);

        v1.MapGet("/backups/{id}", async (string id, CancellationToken ct) =>
            (await Flows.BackupRows.GetAsync(rt.Data, RouteValues.BackupId(id), ct).ConfigureAwait(false)).ToDto()).RequireRole(CredentialRole.ReadOnly);

        v1.MapPost("/backups/{id}/restores", async (string id, RestoreRequest? body, CancellationToken ct) =>
        {
            Flows.RestoreRun.Validate(body);
            var job = await ops.StartRestoreAsync(RouteValues.BackupId(id), body ?? new RestoreRequest(), ct).ConfigureAwait(false);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Operator);

        v1.MapDelete("/backups/{id}", async (string id, CancellationToken ct) =>
        {
            var job = await ops.StartDeleteAsync(RouteValues.BackupId(id), ct).ConfigureAwait(false);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Admin);

        v1.MapPost("/backups/{id}/copies", async (string id, CopyRequest? body, CancellationToken ct) =>
        {
            if (body is null) Throw.Invalid("request.missing_body", "POST /v1/backups/{id}/copies needs the destination, e.g. {\"volume\":5}");
            var job = await ops.StartCopyAsync(RouteValues.BackupId(id), body, ct).ConfigureAwait(false);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Operator);

        v1.MapPost("/backups/{id}/tape-copies", async (string id, TapeCopyRequest? body, CancellationToken ct) =>
        {
            var job = await ops.StartTapeCopyAsync(RouteValues.BackupId(id), body ?? new TapeCopyRequest(), ct).ConfigureAwait(false);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Operator);

        v1.MapPost("/backups/{id}/verifications", async (string id, CancellationToken ct) =>
        {
            var job = await ops.StartVerifyAsync(RouteValues.BackupId(id), ct).ConfigureAwait(false);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Operator);

        // Protected backups (docs/retention.md): no prune and no delete removes one until the date passes.
        v1.MapPost("/backups/{id}/protection", async (string id, ProtectRequest? body, CancellationToken ct) =>
        {
            long backup = RouteValues.BackupId(id);
            if (body?.Until is { } until && until <= rt.Time.GetUtcNow())
                Throw.Invalid("backup.protect_past", $"--until {until:u} has passed already; give a later date, or none to protect until unprotected");
            await Flows.BackupRows.GetAsync(rt.Data, backup, ct).ConfigureAwait(false);
            await rt.Data.SetProtectionAsync(backup, true, body?.Until, ct).ConfigureAwait(false);
            return (await Flows.BackupRows.GetAsync(rt.Data, backup, ct).ConfigureAwait(false)).ToDto();
        }).RequireRole(CredentialRole.Operator);

        v1.MapDelete("/backups/{id}/protection", async (string id, CancellationToken ct) =>
        {
            long backup = RouteValues.BackupId(id);
            await Flows.BackupRows.GetAsync(rt.Data, backup, ct).ConfigureAwait(false);
            await rt.Data.SetProtectionAsync(backup, false, null, ct).ConfigureAwait(false);
            return (await Flows.BackupRows.GetAsync(rt.Data, backup, ct).ConfigureAwait(false)).ToDto();
        }).RequireRole(CredentialRole.Operator);

        // Retention: a dry run answers with the plan; a prune is a job whose result is the same report with what went.
        v1.MapPost("/prune", async (PruneRequest? body, CancellationToken ct) =>
        {
            var request = body ?? new PruneRequest();
            var prune = new Flows.PruneHandler(rt);
            if (request.DryRun) return Results.Ok(await prune.PlanAsync(request.Definition, ops.IsRunning, ct).ConfigureAwait(false));
            if (request.Definition is { } name) await rt.Definitions.GetAsync(name, ct).ConfigureAwait(false);   // a 404 now, not a failed job
            var job = rt.Jobs.Start("prune", request.Definition is { } n ? $"prune the backups of '{n}' by its retention" : "prune the backups of every definition by its retention",
                null, ctx => prune.RunAsync(request.Definition, ops.IsRunning, ctx)).Snapshot();
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Operator);

        v1.MapGet("/tape/cartridges", async (CancellationToken ct) => await rt.TapeLibraryOrThrow().ListAsync(ct).ConfigureAwait(false))
            .RequireRole(CredentialRole.ReadOnly);

        v1.MapPost("/tape/cartridges/{volser}/recycle", async (string volser, CancellationToken ct) =>
            await rt.TapeLibraryOrThrow().RecycleAsync(volser, rt.Data, ct).ConfigureAwait(false)).RequireRole(CredentialRole.Admin);

        v1.MapPost("/catalog/rebuilds", (RebuildRequest? body) =>
        {
            var job = ops.StartRebuild(body ?? new RebuildRequest());
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Admin);

        // Orphan snapshots (snapshot volumes without volume information): list, or delete with {"delete": true}.
        v1.MapGet("/catalog/orphans", async (string[]? deviceId, CancellationToken ct) =>
            await new Flows.OrphanSnapshotsHandler(rt).RunAsync(new OrphanRequest(deviceId is { Length: > 0 } ? deviceId : null), () => ops.AnyRunning, ct).ConfigureAwait(false))
                .RequireRole(CredentialRole.ReadOnly);
        v1.MapPost("/catalog/orphans/deletions", async (OrphanRequest? body, CancellationToken ct) =>
            await new Flows.OrphanSnapshotsHandler(rt).RunAsync((body ?? new OrphanRequest()) with { Delete = true }, () => ops.AnyRunning, ct).ConfigureAwait(false))
                .RequireRole(CredentialRole.Admin);

        v1.MapGet("/jobs", async (int? limit, CancellationToken ct) => await rt.Jobs.ListAsync(limit ?? 100, ct).ConfigureAwait(false))
            .RequireRole(CredentialRole.ReadOnly);

        v1.MapGet("/jobs/{id}", async (string id, CancellationToken ct) => await rt.Jobs.GetAsync(id, ct).ConfigureAwait(false))
            .RequireRole(CredentialRole.ReadOnly);

        v1.MapDelete("/jobs/{id}", (string id) =>
        {
            rt.Jobs.Cancel(id);
            return Results.Accepted($"/v1/jobs/{id}");
        }).RequireRole(CredentialRole.Operator);

        v1.MapGet("/schedule-events", () =>
            (scheduler?.RecentEvents() ?? []).Select(e => new ScheduleEventDto(e.Time, e.Definition, e.What, e.Detail)).ToList())
                .RequireRole(CredentialRole.ReadOnly);
    }
}
