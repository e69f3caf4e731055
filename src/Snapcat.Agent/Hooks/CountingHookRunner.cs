using System.Collections.Concurrent;

namespace Snapcat.Agent.Hooks;

/// <summary>
/// Counts the hook runs of another runner by phase and outcome, for the agent's <c>/metrics</c>
/// (<c>snapcat_agent_hook_runs_total</c>). Outcomes: succeeded, failed (non-zero exit or could not start), timeout,
/// cancelled (killed because the job was cancelled), refused (not configured, raw text not allowed).
/// </summary>
public sealed class CountingHookRunner(IHookRunner inner) : IHookRunner
{
    private readonly ConcurrentDictionary<(string Phase, string Outcome), long> _runs = new();

    /// <summary>Runs so far by (phase "pre"/"post", outcome).</summary>
    public IReadOnlyDictionary<(string Phase, string Outcome), long> Runs => _runs;

    public void EnsureAllowed(HookRef hook) => inner.EnsureAllowed(hook);

    public async Task RunAsync(HookRef hook, HookInvocation invocation, LogSink log, CancellationToken ct, Action<int>? onStarted = null)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        string phase = invocation.Phase == HookPhase.Pre ? "pre" : "post";
        string outcome = "failed";
        try
        {
            await inner.RunAsync(hook, invocation, log, ct, onStarted).ConfigureAwait(false);
            outcome = "succeeded";
        }
        catch (HookFailedException ex)
        {
            outcome = ex.TimedOut ? "timeout" : "failed";
            throw;
        }
        catch (OperationCanceledException)
        {
            outcome = "cancelled";
            throw;
        }
        catch (SnapcatException)
        {
            outcome = "refused";
            throw;
        }
        finally
        {
            _runs.AddOrUpdate((phase, outcome), 1, (_, n) => n + 1);
        }
    }
}
