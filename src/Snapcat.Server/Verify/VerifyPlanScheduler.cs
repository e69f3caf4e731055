using Microsoft.Extensions.Logging;

namespace Snapcat.Server.Verify;

/// <summary>
/// Fires verify plans on their cron schedules (Cronos, the plan's time zone). An occurrence is handled once:
/// <c>last_fire_us</c> records the newest occurrence run or skipped, so a restart neither repeats nor forgets one.
/// Occurrences that passed while the server was down are run once (a verify that is late is still worth doing);
/// an occurrence while the plan's previous run still goes is skipped and logged.
/// </summary>
public sealed partial class VerifyPlanScheduler(VerifyPlanStore plans, VerifyOperations ops, TimeProvider? time = null, ILogger? log = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Scheduling.ScheduleSleep _sleep = new(time ?? TimeProvider.System);
    private readonly ILogger _log = log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>Runs until cancelled, waking at the next due occurrence (at least every 30 s to see new plans).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            DateTimeOffset? next = null;
            try
            {
                next = await TickAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SnapcatException or System.Data.Common.DbException or InvalidOperationException)
            {
                LogTickFailed(ex);   // the catalog is unreachable for now: looked at again at the next tick
            }
            if (!await _sleep.UntilAsync(next, ct).ConfigureAwait(false)) return;
        }
    }

    /// <summary>Ends the current wait so a new plan's schedule is seen at once.</summary>
    public void Wake()
    {
        _sleep.Wake();
    }

    /// <summary>Starts every plan whose occurrence is due; returns the earliest future occurrence of any plan.</summary>
    public async Task<DateTimeOffset?> TickAsync(CancellationToken ct = default)
    {
        var now = _time.GetUtcNow();
        DateTimeOffset? earliest = null;
        foreach (var plan in await plans.ListAsync(ct).ConfigureAwait(false))
        {
            var anchor = plan.LastFire ?? plan.Created;
            DateTimeOffset? latest = null;
            for (var occ = plan.NextRun(anchor); occ is { } o && o <= now; occ = plan.NextRun(o)) latest = o;
            if (latest is { } due)
            {
                if (ops.TryStartPlan(plan, $"schedule {due:u}") is { } job) LogFired(plan.Name, due, job.Id);
                else LogSkipped(plan.Name, due);
                await plans.SetLastFireAsync(plan.Name, due, ct).ConfigureAwait(false);
                anchor = due;
            }
            if (plan.NextRun(anchor) is { } next && (earliest is null || next < earliest)) earliest = next;
        }
        return earliest;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "verify plan {Plan} fired for {Occurrence:u} as job {JobId}")]
    private partial void LogFired(string plan, DateTimeOffset occurrence, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "verify plan {Plan}: the run for {Occurrence:u} skipped, the previous run is still going")]
    private partial void LogSkipped(string plan, DateTimeOffset occurrence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "verify plans could not be looked at; trying again shortly")]
    private partial void LogTickFailed(Exception ex);
}
