using Prometheus;
using Snapcat.ControlApi.Metrics;

namespace Snapcat.Agent.Hosting;

/// <summary>
/// The agent's <c>/metrics</c> registry (docs/metrics.md): hook runs by phase and outcome, and the jobs the agent
/// remembers (running ones and those finished within its retention) by state and kind, read when Prometheus scrapes.
/// </summary>
public static class AgentMetrics
{
    public static CollectorRegistry Create(AgentRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var registry = MetricsEndpoints.NewRegistry();
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        var hooks = f.CreateCounter("snapcat_agent_hook_runs_total", "Preprocess (pre) and postprocess (post) hook runs since the agent started, by outcome", "phase", "outcome");
        var jobs = f.CreateGauge("snapcat_agent_jobs", "Jobs the agent holds (running, and finished within its retention) by state and kind", "state", "kind");
        registry.AddBeforeCollectCallback(() =>
        {
            foreach (var ((phase, outcome), n) in runtime.HookRuns.Runs) hooks.WithLabels(phase, outcome).IncTo(n);
            foreach (var labels in jobs.GetAllLabelValues()) jobs.WithLabels(labels).Set(0);
            foreach (var g in runtime.Jobs.List().GroupBy(j => (j.State, j.Kind)))
                jobs.WithLabels(g.Key.State.ToString().ToLowerInvariant(), g.Key.Kind).Set(g.Count());
        });
        return registry;
    }
}
