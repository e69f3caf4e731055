using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Snapcat.Core.Errors;
using Snapcat.Server.Catalog;
using Snapcat.Server.Definitions;
using Snapcat.Server.Hosting;
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
            (await rt.Definitions.ListAsync(ct)).Count,
            await rt.Data.CountAsync(ct),
            await PeerReachability.ProbeAsync(rt, ct)));

        v1.MapGet("/definitions", async (CancellationToken ct) =>
        {
            var now = rt.Time.GetUtcNow();
            return (await rt.Definitions.ListAsync(ct)).Select(d => DefinitionDto.From(d, now, ops.IsRunning(d.Name))).ToList();
        });

        v1.MapPost("/definitions", async (DefinitionDto? body, CancellationToken ct) =>
        {
            if (body is null) Throw.Invalid("request.missing_body", "POST /v1/definitions needs a backup definition as JSON");
            var d = await definitions.CreateAsync(body.ToDefinition(), ct);
            scheduler?.Wake();
            return Results.Created($"/v1/definitions/{Uri.EscapeDataString(d.Name)}", DefinitionDto.From(d, rt.Time.GetUtcNow(), false));
        });

        v1.MapGet("/definitions/{name}", async (string name, CancellationToken ct) =>
            DefinitionDto.From(await rt.Definitions.GetAsync(name, ct), rt.Time.GetUtcNow(), ops.IsRunning(name)));

        v1.MapPut("/definitions/{name}", async (string name, DefinitionDto? body, CancellationToken ct) =>
        {
            if (body is null) Throw.Invalid("request.missing_body", "PUT /v1/definitions/{name} needs the backup definition as JSON");
            if (body.Name != name) Throw.Invalid("definition.rename", $"the body names '{body.Name}' but the route '{name}'; a definition cannot be renamed");
            var d = await definitions.UpdateAsync(body.ToDefinition(), ct);
            scheduler?.Wake();
            return DefinitionDto.From(d, rt.Time.GetUtcNow(), ops.IsRunning(name));
        });

        v1.MapDelete("/definitions/{name}", async (string name, CancellationToken ct) =>
        {
            await rt.Definitions.DeleteAsync(name, ct);
            return Results.NoContent();
        });

        v1.MapPost("/definitions/{name}/runs", async (string name, CancellationToken ct) =>
        {
            var job = await ops.RunNowAsync(name, ct);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        });

        v1.MapGet("/backup-volumes", async (CancellationToken ct) =>
            (await rt.Volumes.ListAsync(ct)).Select(v => new BackupVolumeDto(v.Host, v.MountPoint, v.DeviceId, v.CopyTo)).ToList());

        v1.MapGet("/backups", async (string? host, string? mountPoint, string? label, string? kind, string? deviceId, string? definition,
            string? from, string? to, int? limit, int? offset, CancellationToken ct) =>
        {
            var filter = new BackupDataFilter
            {
                Host = host, MountPoint = mountPoint, Label = label, Kind = kind, DeviceId = deviceId, Definition = definition,
                From = Time(from, "from"), To = Time(to, "to"), Limit = limit ?? 100, Offset = offset ?? 0,
            };
            return (await rt.Data.SearchAsync(filter, ct)).Select(BackupDto.From).ToList();
        });

        v1.MapGet("/backups/{id}", async (string id, CancellationToken ct) =>
            BackupDto.From(await Flows.BackupRows.GetAsync(rt.Data, BackupId(id), ct)));

        v1.MapPost("/backups/{id}/restores", async (string id, RestoreRequest? body, CancellationToken ct) =>
        {
            Flows.RestoreHandler.Validate(body);
            var job = await ops.StartRestoreAsync(BackupId(id), body ?? new RestoreRequest(), ct);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        });

        v1.MapDelete("/backups/{id}", async (string id, CancellationToken ct) =>
        {
            var job = await ops.StartDeleteAsync(BackupId(id), ct);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        });

        v1.MapPost("/backups/{id}/copies", async (string id, CopyRequest? body, CancellationToken ct) =>
        {
            if (body is null) Throw.Invalid("request.missing_body", "POST /v1/backups/{id}/copies needs the destination, e.g. {\"volume\":5}");
            var job = await ops.StartCopyAsync(BackupId(id), body, ct);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        });

        v1.MapPost("/backups/{id}/tape-copies", async (string id, TapeCopyRequest? body, CancellationToken ct) =>
        {
            var job = await ops.StartTapeCopyAsync(BackupId(id), body ?? new TapeCopyRequest(), ct);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        });

        v1.MapPost("/backups/{id}/verifications", async (string id, CancellationToken ct) =>
        {
            var job = await ops.StartVerifyAsync(BackupId(id), ct);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        });

        v1.MapGet("/tape/cartridges", async (CancellationToken ct) => await rt.TapeLibraryOrThrow().ListAsync(ct));

        v1.MapPost("/tape/cartridges/{volser}/recycle", async (string volser, CancellationToken ct) =>
            await rt.TapeLibraryOrThrow().RecycleAsync(volser, rt.Data, ct));

        v1.MapPost("/catalog/rebuilds", (RebuildRequest? body) =>
        {
            var job = ops.StartRebuild(body ?? new RebuildRequest());
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        });

        // Orphan snapshots (snapshot volumes without volume information): list, or delete with {"delete": true}.
        v1.MapGet("/catalog/orphans", async (string[]? deviceId, CancellationToken ct) =>
            await new Flows.OrphanSnapshotsHandler(rt).RunAsync(new Flows.OrphanRequest(deviceId is { Length: > 0 } ? deviceId : null), () => ops.AnyRunning, ct));
        v1.MapPost("/catalog/orphans/deletions", async (Flows.OrphanRequest? body, CancellationToken ct) =>
            await new Flows.OrphanSnapshotsHandler(rt).RunAsync((body ?? new Flows.OrphanRequest()) with { Delete = true }, () => ops.AnyRunning, ct));

        v1.MapGet("/jobs", async (int? limit, CancellationToken ct) => await rt.Jobs.ListAsync(limit ?? 100, ct));

        v1.MapGet("/jobs/{id}", async (string id, CancellationToken ct) => await rt.Jobs.GetAsync(id, ct));

        v1.MapDelete("/jobs/{id}", (string id) =>
        {
            rt.Jobs.Cancel(id);
            return Results.Accepted($"/v1/jobs/{id}");
        });

        v1.MapGet("/schedule-events", () =>
            (scheduler?.RecentEvents() ?? []).Select(e => new ScheduleEventDto(e.Time, e.Definition, e.What, e.Detail)).ToList());
    }

    private static long BackupId(string text)
    {
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long id) || id <= 0)
            Throw.Invalid("backup.bad_id", $"'{text}' is not a backup ID (a whole number from 1; see 'snapcat backup list')");
        return id;
    }

    private static DateTimeOffset? Time(string? text, string name)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            Throw.Invalid("backup.bad_time", $"{name} '{text}' is not a time (use ISO 8601, e.g. 2026-11-01 or 2026-11-01T02:00:00Z)");
        return t;
    }
}
