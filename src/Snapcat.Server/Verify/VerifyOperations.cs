using System.Collections.Concurrent;
using Snapcat.Server.Flows;

namespace Snapcat.Server.Verify;

/// <summary>Starts verify jobs: one backup (<see cref="VerifyBackupHandler"/>), or a run of a verify plan, one run per plan at a time.</summary>
public sealed class VerifyOperations(ServerRuntime rt)
{
    private readonly ConcurrentDictionary<string, string> _running = new(StringComparer.Ordinal);

    public bool IsRunning(string plan) => _running.ContainsKey(plan);

    public Task<JobSnapshot> StartBackupVerifyAsync(long backupId, CancellationToken ct = default) => VerifyBackupHandler.StartAsync(rt, backupId, ct);

    /// <summary>Runs a plan now (by hand); a conflict while its previous run is going.</summary>
    public async Task<JobSnapshot> RunPlanNowAsync(string name, CancellationToken ct = default)
    {
        var plan = await rt.VerifyPlans.GetAsync(name, ct).ConfigureAwait(false);
        var job = TryStartPlan(plan, "started by hand");
        if (job is null)
            Throw.Conflict("verify_plan.running", $"verify plan '{name}' is running already (job {_running.GetValueOrDefault(name)}); wait for it with 'snapcat job wait {_running.GetValueOrDefault(name)}'");
        return job.Snapshot();
    }

    /// <summary>Starts a run of <paramref name="plan"/> unless one is going (then null).</summary>
    public Job? TryStartPlan(VerifyPlan plan, string trigger)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!_running.TryAdd(plan.Name, "starting")) return null;
        try
        {
            var job = rt.Jobs.Start("verify-plan", $"verify plan '{plan.Name}' ({trigger})", null,
                ctx => new VerifyPlanRunHandler(rt).RunAsync(plan.Name, trigger, ctx));
            _running[plan.Name] = job.Id;
            _ = job.Completion.ContinueWith(_ => _running.TryRemove(plan.Name, out string? _), TaskScheduler.Default);
            return job;
        }
        catch
        {
            _running.TryRemove(plan.Name, out _);
            throw;
        }
    }
}
