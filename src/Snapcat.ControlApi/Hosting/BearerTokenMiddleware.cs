using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Errors;
using Snapcat.Core.Security;

namespace Snapcat.ControlApi.Hosting;

/// <summary>
/// Every control route of the three daemons (array, agent, backup server) needs
/// <c>Authorization: Bearer TOKEN</c>; only the OpenAPI document is open (and <c>/healthz</c>, which
/// <see cref="HealthEndpoints"/> answers before this middleware runs). The token is compared with every
/// configured credential over SHA-256 digests with a fixed-time equality, and all of them are compared every time,
/// so neither the content nor the length of a token, nor which credential matched, leaks through response timing.
/// The credential found becomes the request's <see cref="Principal"/>; then the route's <see cref="RequiredRole"/>
/// (admin when it declares none) is checked: too little is 403 naming the role needed and the role held.
/// Both checks run before routing binds the body, so a refused call has done nothing.
/// <c>service</c> names the daemon in messages ("array", "agent", "backup server"), <c>tokenHint</c> says where its token is set.
/// </summary>
public sealed class BearerTokenMiddleware
{
    private readonly RequestDelegate _next;
    private readonly (byte[] Digest, Credential Credential)[] _credentials;
    private readonly string _service;
    private readonly string _tokenHint;

    public BearerTokenMiddleware(RequestDelegate next, IReadOnlyList<Credential> credentials, string service = "array", string tokenHint = "control.token of its configuration")
    {
        ArgumentNullException.ThrowIfNull(credentials);
        if (credentials.Count == 0) throw new ArgumentException("a control API needs at least one credential", nameof(credentials));
        _next = next;
        _credentials = credentials.Select(c => (SHA256.HashData(Encoding.UTF8.GetBytes(c.Token)), c)).ToArray();
        _service = service;
        _tokenHint = tokenHint;
    }

    /// <summary>One admin credential for <paramref name="token"/>: the single token of earlier configurations.</summary>
    public BearerTokenMiddleware(RequestDelegate next, string token, string service = "array", string tokenHint = "control.token of its configuration")
        : this(next, [new Credential(Credential.ControlTokenName, token, CredentialRole.Admin)], service, tokenHint)
    {
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments("/openapi")) return _next(context);
        if (context.GetEndpoint()?.Metadata.GetMetadata<OpenRoute>() is not null) return _next(context);
        string? header = context.Request.Headers.Authorization;
        const string scheme = "Bearer ";
        // No token: a browser session of the web console may stand for one (ISessionAuthenticator).
        if (header is null && context.RequestServices.GetService(typeof(ISessionAuthenticator)) is ISessionAuthenticator sessions
            && sessions.Authenticate(context) is { } session)
        {
            if (session.Credential is null)
                return session.Forbidden ? ForbidAsync(context, session.Code ?? "auth.session", session.Message ?? "the session is refused")
                    : RejectAsync(context, session.Code ?? "auth.session", session.Message ?? "the session is not valid");
            return AuthorizeAsync(context, session.Credential);
        }
        if (header is null || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return RejectAsync(context, "auth.missing", $"the {_service}'s API needs a bearer token: send 'Authorization: Bearer <token>' ({_tokenHint})");
        byte[] given = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        Credential? found = null;
        foreach (var (digest, credential) in _credentials)
        {
            // No early exit: the time taken does not depend on which credential (if any) matched.
            if (CryptographicOperations.FixedTimeEquals(given, digest)) found = credential;
        }
        if (found is null)
            return RejectAsync(context, "auth.bad_token", $"the bearer token is not valid for this {_service}");
        return AuthorizeAsync(context, found);
    }

    /// <summary>The credential becomes the request's principal, then the route's role is checked.</summary>
    private Task AuthorizeAsync(HttpContext context, Credential found)
    {
        context.SetPrincipal(new Principal(found));

        var endpoint = context.GetEndpoint();
        if (endpoint is not null)
        {
            var needed = (endpoint.Metadata.GetMetadata<RequiredRole>() ?? RequiredRole.Default).Role;
            if (!found.Role.Satisfies(needed))
            {
                string route = (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value ?? "";
                return ForbidAsync(context, "auth.role",
                    $"{context.Request.Method} {route} on the {_service} needs the {needed.Name()} role; the credential '{found.Name}' has the {found.Role.Name()} role");
            }
        }
        return _next(context);
    }

    private static Task RejectAsync(HttpContext context, string code, string message)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return context.Response.WriteAsJsonAsync(new ErrorBody(new ErrorDetail(code, message)));
    }

    private static Task ForbidAsync(HttpContext context, string code, string message)
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return context.Response.WriteAsJsonAsync(new ErrorBody(new ErrorDetail(code, message)));
    }
}
