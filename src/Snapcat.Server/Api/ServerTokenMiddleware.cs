using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Snapcat.Core.Errors;

namespace Snapcat.Server.Api;

/// <summary>Every route needs <c>Authorization: Bearer TOKEN</c> except the OpenAPI document; fixed-time comparison of digests.</summary>
public sealed class ServerTokenMiddleware(RequestDelegate next, string token)
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments("/openapi")) return next(context);
        string? header = context.Request.Headers.Authorization;
        const string scheme = "Bearer ";
        if (header is null || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return RejectAsync(context, "auth.missing", "the backup server API needs a bearer token: send 'Authorization: Bearer <token>' (the control.token of server.json)");
        byte[] given = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        if (!CryptographicOperations.FixedTimeEquals(given, _expected))
            return RejectAsync(context, "auth.bad_token", "the bearer token is not valid for this backup server");
        return next(context);
    }

    private static Task RejectAsync(HttpContext context, string code, string message)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return context.Response.WriteAsJsonAsync(new ErrorBody(new ErrorDetail(code, message)));
    }
}
