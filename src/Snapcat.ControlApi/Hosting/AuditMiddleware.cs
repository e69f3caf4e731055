using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Security;

namespace Snapcat.ControlApi.Hosting;

/// <summary>
/// Appends one <see cref="AuditRecord"/> for every mutating call (POST, PUT, PATCH, DELETE), refusals (401, 403)
/// included, to the daemon's <see cref="AuditLogFile"/>. It sits in front of every other middleware so that it sees
/// the final status, whatever answered (route, error middleware, token check).
/// The line is written and fsynced in the response's OnStarting callback, that is before the status line leaves
/// the daemon: a client that has seen the answer to a call (and may act on it, e.g. tell an operator a volume is
/// deleted) can then rely on the audit line being on disk, even if the daemon is killed or the machine loses power
/// the next instant. Writing after the response would leave a window in which a call is done and answered but not
/// audited. A request whose response never starts (the client went away) is audited when the pipeline returns.
/// </summary>
public sealed class AuditMiddleware(RequestDelegate next, AuditLogFile log)
{
    private static readonly string[] TargetNames = ["name", "number", "id", "volser", "secondary"];

    public async Task InvokeAsync(HttpContext context)
    {
        if (!IsMutating(context.Request.Method))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        int written = 0;
        void Write()
        {
            if (Interlocked.Exchange(ref written, 1) == 0) log.Append(RecordOf(context));
        }
        context.Response.OnStarting(() =>
        {
            Write();
            return Task.CompletedTask;
        });
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            if (!context.Response.HasStarted) Write();
        }
    }

    private static bool IsMutating(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);

    private static AuditRecord RecordOf(HttpContext context)
    {
        var principal = context.FindPrincipal();
        string route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value ?? "";
        int status = context.Response.StatusCode;
        var remote = context.Connection.RemoteIpAddress;
        return new AuditRecord(
            DateTimeOffset.UtcNow,
            principal?.Name ?? "-",
            principal?.Role.Name() ?? "-",
            context.Request.Method,
            route,
            TargetOf(context.Request.RouteValues),
            status,
            AuditRecord.OutcomeOf(status),
            remote is null ? null : $"{remote}:{context.Connection.RemotePort}");
    }

    /// <summary>The volume, definition, backup or job the route names: "7", "nightly", "7/mirrors/8", "127.0.0.1:10809/0".</summary>
    private static string? TargetOf(RouteValueDictionary values)
    {
        if (values.TryGetValue("port", out var port) && values.TryGetValue("lun", out var lun))
            return $"{Uri.UnescapeDataString(port?.ToString() ?? "")}/{lun}";
        var parts = TargetNames.Select(n => values.TryGetValue(n, out var v) ? v?.ToString() : null).Where(v => v is not null).ToList();
        return parts.Count == 0 ? null : string.Join("/", parts);
    }
}
