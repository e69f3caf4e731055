namespace Snapcat.Core.Security;

/// <summary>
/// One line of a daemon's audit log (JSON, camelCase): who called which route on what, and how it ended.
/// <see cref="Outcome"/> is <c>ok</c> (2xx/3xx), <c>refused</c> (401/403: nothing was done) or <c>failed</c>.
/// </summary>
/// <param name="Principal">The credential's name; <c>-</c> when the caller sent no valid token.</param>
/// <param name="Role">The credential's role name; <c>-</c> without one.</param>
/// <param name="Route">The route template, e.g. <c>/v1/definitions/{name}</c>, or the path when no route matched.</param>
/// <param name="Target">The volume, definition, backup or job the route names, when it names one.</param>
public sealed record AuditRecord(
    DateTimeOffset Time,
    string Principal,
    string Role,
    string Method,
    string Route,
    string? Target,
    int Status,
    string Outcome,
    string? RemoteAddress)
{
    public static string OutcomeOf(int status) => status switch
    {
        401 or 403 => "refused",
        < 400 => "ok",
        _ => "failed",
    };
}
