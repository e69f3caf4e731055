using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Snapcat.ControlApi.Hosting;

/// <summary>
/// <c>GET /healthz</c> of every daemon, without a token (a load balancer or systemd watchdog has none): the daemon's
/// ASP.NET Core health checks (registered with <c>builder.Services.AddHealthChecks().AddCheck…</c> before Build),
/// answered as <c>{"status": "ok"|"degraded"|"failing", "checks": {"NAME": {"status": …, "description": …}}}</c>,
/// 200 for ok and degraded, 503 for failing. It sits in front of the audit, error and token middlewares, so it
/// answers even when those would refuse. A check's description is text the daemon wrote (never an exception
/// message, a path with a secret or a connection string): the endpoint reveals nothing a token protects.
/// </summary>
public static class HealthEndpoints
{
    public const string Path = "/healthz";

    /// <summary>How long one check may take before it counts as failing (a PostgreSQL that does not answer).</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    public static WebApplication UseHealthEndpoint(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseHealthChecks(Path, new HealthCheckOptions
        {
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteAsync,
        });
        return app;
    }

    /// <summary>The word of the JSON answer: ok, degraded, failing.</summary>
    public static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "ok",
        HealthStatus.Degraded => "degraded",
        _ => "failing",
    };

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var checks = new JsonObject();
        foreach (var (name, entry) in report.Entries)
        {
            checks[name] = new JsonObject
            {
                ["status"] = Name(entry.Status),
                // A timed-out or throwing check has no description of ours; say which without the exception's text.
                ["description"] = entry.Description ?? (entry.Exception is { } ex ? $"the check failed ({ex.GetType().Name})" : null),
            };
        }
        var body = new JsonObject { ["status"] = Name(report.Status), ["checks"] = checks };
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
