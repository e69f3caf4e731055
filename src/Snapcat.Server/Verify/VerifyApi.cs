using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Security;
using Snapcat.Server.Api;

namespace Snapcat.Server.Verify;

/// <summary>The verify routes (VerifyContracts.cs); mapped beside ServerApi's by <c>ServerHost</c>.</summary>
public static class VerifyApi
{
    public static void MapVerifyApi(this IEndpointRouteBuilder app, ServerRuntime rt, VerifyOperations ops, VerifyPlanScheduler? scheduler)
    {
        var v1 = app.MapGroup("/v1");

        v1.MapPost("/backups/{id}/verify", async (string id, CancellationToken ct) =>
        {
            var job = await ops.StartBackupVerifyAsync(RouteValues.BackupId(id), ct).ConfigureAwait(false);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Operator);

        v1.MapGet("/backups/{id}/verifications", async (string id, int? limit, CancellationToken ct) =>
        {
            long backup = RouteValues.BackupId(id);
            var runs = await rt.Verifications.ListAsync(backup, limit ?? 100, ct).ConfigureAwait(false);
            // A deleted backup keeps its history; an ID that never had a row nor a verify is a 404.
            if (runs.Count == 0) await Flows.BackupRows.GetAsync(rt.Data, backup, ct).ConfigureAwait(false);
            return runs.Select(r => r.ToDto()).ToList();
        }).RequireRole(CredentialRole.ReadOnly);

        v1.MapGet("/verify-plans", async (CancellationToken ct) =>
        {
            var now = rt.Time.GetUtcNow();
            return (await rt.VerifyPlans.ListAsync(ct).ConfigureAwait(false)).Select(p => p.ToDto(now)).ToList();
        }).RequireRole(CredentialRole.ReadOnly);

        v1.MapPost("/verify-plans", async (VerifyPlanDto? body, CancellationToken ct) =>
        {
            if (body is null) Throw.Invalid("request.missing_body", "POST /v1/verify-plans needs a verify plan as JSON, e.g. {\"name\":\"weekly\",\"schedule\":\"0 3 * * 0\"}");
            var now = rt.Time.GetUtcNow();
            var plan = VerifyPlan.FromDto(body, now);
            plan.Validate(rt.MinimumScheduleInterval);
            if (plan.DeviceId is { } device && device != rt.Tapes?.LibraryId && !rt.Remotes.DeviceIds.Contains(device))
                Throw.Invalid("verify_plan.unknown_device", $"'{device}' is neither an array of this server's configuration nor its tape library");
            await rt.VerifyPlans.CreateAsync(plan, ct).ConfigureAwait(false);
            scheduler?.Wake();
            return Results.Created($"/v1/verify-plans/{Uri.EscapeDataString(plan.Name)}", plan.ToDto(now));
        }).RequireRole(CredentialRole.Admin);

        v1.MapGet("/verify-plans/{name}", async (string name, CancellationToken ct) =>
            (await rt.VerifyPlans.GetAsync(name, ct).ConfigureAwait(false)).ToDto(rt.Time.GetUtcNow())).RequireRole(CredentialRole.ReadOnly);

        v1.MapDelete("/verify-plans/{name}", async (string name, CancellationToken ct) =>
        {
            await rt.VerifyPlans.DeleteAsync(name, ct).ConfigureAwait(false);
            return Results.NoContent();
        }).RequireRole(CredentialRole.Admin);

        v1.MapPost("/verify-plans/{name}/runs", async (string name, CancellationToken ct) =>
        {
            var job = await ops.RunPlanNowAsync(name, ct).ConfigureAwait(false);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Operator);

        v1.MapGet("/verify-plans/{name}/report", async (string name, CancellationToken ct) =>
            await rt.VerifyPlans.GetReportAsync(name, ct).ConfigureAwait(false)).RequireRole(CredentialRole.ReadOnly);
    }
}
