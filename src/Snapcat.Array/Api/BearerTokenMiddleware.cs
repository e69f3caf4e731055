using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Snapcat.Core.Errors;

namespace Snapcat.Array.Api;

/// <summary>
/// Every control route of the three daemons (array, agent, backup server) needs
/// <c>Authorization: Bearer TOKEN</c>; only the OpenAPI document is open. The comparison is over
/// SHA-256 digests with a fixed-time equality, so neither the content nor the length of the
/// configured token leaks through response timing. <paramref name="service"/> names the daemon in
/// messages ("array", "agent", "backup server"), <paramref name="tokenHint"/> says where its token is set.
/// </summary>
public sealed class BearerTokenMiddleware(RequestDelegate next, string token, string service = "array", string tokenHint = "control.token of its configuration")
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments("/openapi")) return next(context);
        string? header = context.Request.Headers.Authorization;
        const string scheme = "Bearer ";
        if (header is null || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return RejectAsync(context, "auth.missing", $"the {service}'s API needs a bearer token: send 'Authorization: Bearer <token>' ({tokenHint})");
        byte[] given = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        if (!CryptographicOperations.FixedTimeEquals(given, _expected))
            return RejectAsync(context, "auth.bad_token", $"the bearer token is not valid for this {service}");
        return next(context);
    }

    private static Task RejectAsync(HttpContext context, string code, string message)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return context.Response.WriteAsJsonAsync(new ErrorBody(new ErrorDetail(code, message)));
    }
}
