using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Snapcat.Core.Security;

namespace Snapcat.ControlApi.Security;

/// <summary>
/// A second way to a principal besides the bearer token: a browser session (the backup server's web console).
/// Registered as a service, it is asked by <see cref="Hosting.BearerTokenMiddleware"/> only when a request has no
/// <c>Authorization</c> header; it answers null when the request carries no session at all (it is then refused as
/// one without a token), a credential when the session is good, or a refusal (expired session, failed CSRF check).
/// The route's role is checked the same way after it, so a session can do exactly what its token can.
/// </summary>
public interface ISessionAuthenticator
{
    SessionCheck? Authenticate(HttpContext context);
}

/// <summary>A session's credential, or why it is refused: <see cref="Forbidden"/> is 403 (the CSRF check), else 401.</summary>
public sealed record SessionCheck(Credential? Credential, string? Code = null, string? Message = null, bool Forbidden = false)
{
    public static SessionCheck Refuse(string code, string message, bool forbidden = false) => new(null, code, message, forbidden);
}

/// <summary>Endpoint metadata: the route answers without a credential (the web console's static pages).</summary>
public sealed record OpenRoute
{
    public static readonly OpenRoute Instance = new();
}

public static class OpenRouteExtensions
{
    /// <summary>The route needs no token and no session; for content that is the same for everyone, never for data.</summary>
    public static TBuilder AllowWithoutCredential<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(b => b.Metadata.Add(OpenRoute.Instance));
        return builder;
    }
}
