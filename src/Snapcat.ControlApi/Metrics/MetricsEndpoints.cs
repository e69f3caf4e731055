using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Prometheus;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Security;

namespace Snapcat.ControlApi.Metrics;

/// <summary>
/// <c>GET /metrics</c> of every daemon: its own Prometheus registry (<see cref="NewRegistry"/>: the process metrics of
/// prometheus-net plus the daemon's <c>snapcat_*</c> metrics) in the text exposition format. The route needs a bearer
/// token of the read-only role or better (every credential of a daemon satisfies it): Prometheus sends one with
/// <c>authorization: {credentials: …}</c> in its scrape configuration (docs/metrics.md). A registry per daemon, not the
/// static default one, so that daemons started inside one process (tests) never share metrics.
/// </summary>
public static class MetricsEndpoints
{
    public const string Path = "/metrics";

    public static CollectorRegistry NewRegistry()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        DotNetStats.Register(registry);
        return registry;
    }

    public static IEndpointConventionBuilder MapMetricsEndpoint(this IEndpointRouteBuilder app, CollectorRegistry registry) =>
        app.MapMetrics(Path, registry).RequireRole(CredentialRole.ReadOnly);
}
