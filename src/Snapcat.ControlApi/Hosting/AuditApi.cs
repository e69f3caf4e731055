using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Errors;
using Snapcat.Core.Security;

namespace Snapcat.ControlApi.Hosting;

/// <summary><c>GET /v1/audit?since=TIME</c>: the daemon's audit records, oldest first; admin only (it names every principal).</summary>
public static class AuditApi
{
    public static void MapAuditApi(this IEndpointRouteBuilder app, string auditFile)
    {
        app.MapGet("/v1/audit", (string? since) => AuditLogFile.Read(auditFile, ParseSince(since)))
            .RequireRole(CredentialRole.Admin);
    }

    public static DateTimeOffset? ParseSince(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            throw new SnapcatException(ErrorKind.Invalid, "audit.bad_since", $"since '{text}' is not a time (use ISO 8601, e.g. 2026-11-01T02:00:00Z)");
        return t;
    }
}
