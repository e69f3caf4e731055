using Microsoft.AspNetCore.Http;
using Snapcat.Core.Security;

namespace Snapcat.ControlApi.Security;

/// <summary>
/// The caller of a request, as <see cref="Hosting.BearerTokenMiddleware"/> found it from the bearer token: the
/// credential's name, role and scope. Routes read it with <see cref="PrincipalExtensions.Principal"/>, the audit log records it.
/// </summary>
public sealed record Principal(Credential Credential)
{
    public string Name => Credential.Name;
    public CredentialRole Role => Credential.Role;
}

public static class PrincipalExtensions
{
    private static readonly object Key = new();

    /// <summary>The request's principal; only routes behind the bearer-token middleware have one.</summary>
    public static Principal Principal(this HttpContext context) =>
        context.FindPrincipal() ?? throw new InvalidOperationException("this request has no principal: the bearer-token middleware did not run");

    public static Principal? FindPrincipal(this HttpContext context) => context.Items.TryGetValue(Key, out var p) ? p as Principal : null;

    internal static void SetPrincipal(this HttpContext context, Principal principal) => context.Items[Key] = principal;
}
