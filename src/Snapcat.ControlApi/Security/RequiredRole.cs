using Microsoft.AspNetCore.Builder;
using Snapcat.Core.Security;

namespace Snapcat.ControlApi.Security;

/// <summary>
/// Endpoint metadata: the role a route needs. A route without it needs <see cref="CredentialRole.Admin"/>, so a
/// route that forgets to declare its role is closed rather than open. The bearer-token middleware checks it
/// before the route's body is read or bound, so a refused call has done nothing.
/// </summary>
public sealed record RequiredRole(CredentialRole Role)
{
    public static readonly RequiredRole Default = new(CredentialRole.Admin);
}

public static class RequiredRoleExtensions
{
    /// <summary>Declares the role the route (or every route of a group) needs; the last declaration wins.</summary>
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, CredentialRole role) where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(b => b.Metadata.Add(new RequiredRole(role)));
        return builder;
    }
}
