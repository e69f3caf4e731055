using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Security;

namespace Snapcat.Server.Drift;

/// <summary>
/// Routes of drift detection (docs/drift.md). The reconcile is a job (operator); listing is read-only; a fix changes the
/// catalog or an array and is an admin's (it may drop rows), audited like every mutating call.
/// </summary>
public static class DriftApi
{
    public static void MapDriftApi(this IEndpointRouteBuilder app, DriftService drift)
    {
        ArgumentNullException.ThrowIfNull(drift);
        // The digest fix names the server's own disk verify only when this server has that route (issue 13's verify jobs).
        drift.HasBackupVerify = () => app.DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Any(e => e.RoutePattern.RawText is "/v1/backups/{id}/verify" && e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains("POST") == true);
        var v1 = app.MapGroup("/v1/drift");

        v1.MapPost("/reconcile", () =>
        {
            var job = drift.StartReconcile("started by hand");
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Operator);

        v1.MapGet("/findings", async (string? kind, CancellationToken ct) =>
        {
            if (kind is not null && !DriftKinds.IsKnown(kind))
                Throw.Invalid("drift.kind_unknown", $"'{kind}' is not a finding kind; one of {string.Join(", ", DriftKinds.All)}");
            return await drift.Store.ListAsync(kind, ct).ConfigureAwait(false);
        }).RequireRole(CredentialRole.ReadOnly);

        v1.MapPost("/findings/{id}/fix", async (string id, DriftFixRequest? body, CancellationToken ct) =>
            await drift.Fixer.FixAsync(id, body ?? new DriftFixRequest(), ct).ConfigureAwait(false)).RequireRole(CredentialRole.Admin);

        v1.MapPost("/fixes", async (DriftFixAllRequest? body, CancellationToken ct) =>
        {
            if (body is null) Throw.Invalid("request.missing_body", "POST /v1/drift/fixes needs the kind to fix, e.g. {\"kind\":\"orphan_snapshot\"}");
            return await drift.Fixer.FixAllAsync(body, ct).ConfigureAwait(false);
        }).RequireRole(CredentialRole.Admin);
    }
}
