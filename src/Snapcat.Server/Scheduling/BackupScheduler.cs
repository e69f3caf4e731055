using Microsoft.Extensions.Logging;

namespace Snapcat.Server.Scheduling;

/// <summary>
/// Fires backup definitions on their cron schedules (time zone and DST through Cronos).
/// Rules:
/// <list type="bullet">
/// <item>An occurrence is handled once: <c>last_fire</c> in the catalog records the newest occurrence run
///   or skipped, so a restart neither repeats nor forgets one.</item>
/// <item>Occurrences that passed while the server was down (more than <see cref="Grace"/> late) are
///   reported; the definition's <c>missed_runs</c> says whether to run once now or skip.</item>
/// <item>One run of a definition at a time: when the previous run is still going the occurrence is
///   reported as skipped.</item>
/// <item>A disabled definition is not looked at; the time it was disabled does not count as missed runs.</item>
/// </list>
/// </summary>
public sealed partial class BackupScheduler(BackupDefinitionStore definitions, IBackupRunStarter starter, TimeProvider? time = null, ILogger? log = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ScheduleSleep _sleep = new(time ?? TimeProvider.System);
    private readonly ILogger _log = log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    private readonly List<ScheduleEvent> _events = [];
    private readonly Dictionary<string, DateTimeOffset> _announced = new(StringComparer.Ordinal);

    /// <summary>How late an occurrence may be handled and still count as on time (not missed).</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(60);

    public event Action<ScheduleEvent>? Event;

    public IReadOnlyList<ScheduleEvent> RecentEvents()
    {
        lock (_events) return _events.ToArray();
    }

    /// <summary>Runs until cancelled, waking at the next due occurrence (at least every 30 s to see new definitions).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            DateTimeOffset? next = await TickAsync(ct).ConfigureAwait(false);
            if (!await _sleep.UntilAsync(next, ct).ConfigureAwait(false)) return;
        }
    }

    /// <summary>Ends the current wait of <see cref="RunAsync"/> so a new or changed definition's schedule is seen at once.</summary>
    public void Wake()
    {
        _sleep.Wake();
    }

    /// <summary>Handles every due occurrence now; returns the earliest future occurrence of any definition.</summary>
    public async Task<DateTimeOffset?> TickAsync(CancellationToken ct = default)
    {
        var now = _time.GetUtcNow();
        DateTimeOffset? earliest = null;
        foreach (var d in await definitions.ListAsync(ct).ConfigureAwait(false))
        {
            if (d.Schedule is null) continue;
            // Disabled: never fired, not even as a missed run; enabling moves last_fire to that moment (DefinitionService).
            if (!d.Enabled) continue;
            DateTimeOffset anchor = d.LastFire ?? d.Created;
            var due = new List<DateTimeOffset>();
            for (var occ = d.NextRun(anchor); occ is { } o && o <= now && due.Count < 10_000; occ = d.NextRun(o))
                due.Add(o);
            if (due.Count > 0)
            {
                DateTimeOffset latest = due[^1];
                bool onTime = now - latest <= Grace;
                int missed = onTime ? due.Count - 1 : due.Count;
                bool run = onTime || d.MissedRunsValue == MissedRunPolicy.RunOnce;
                if (missed > 0)
                    Report(d.Name, "missed", $"{missed} scheduled run(s) between {due[0]:u} and {due[due.Count - 1 - (onTime ? 1 : 0)]:u} did not happen (server down or busy); "
                        + (onTime ? "running the current one" : d.MissedRunsValue == MissedRunPolicy.RunOnce ? "running once now" : "skipped as the definition says"));
                if (run)
                {
                    if (starter.TryStart(d, onTime ? $"schedule {latest:u}" : $"missed schedule {latest:u}"))
                        Report(d.Name, "started", $"scheduled run for {latest:u}");
                    else
                        Report(d.Name, "skipped", $"scheduled run for {latest:u} skipped: the previous run is still going");
                }
                await definitions.SetLastFireAsync(d.Name, latest, ct).ConfigureAwait(false);
                anchor = latest;
            }
            if (d.NextRun(anchor) is { } next && (earliest is null || next < earliest)) earliest = next;
            // The next run once per change (first sight, after a run, a new schedule), not at every tick.
            if (d.NextRun(anchor) is { } announce)
                lock (_announced)
                    if (!_announced.TryGetValue(d.Name, out var said) || said != announce)
                    {
                        _announced[d.Name] = announce;
                        LogNextRun(d.Name, announce);
                    }
        }
        return earliest;
    }

    private void Report(string definition, string what, string detail)
    {
        var e = new ScheduleEvent(_time.GetUtcNow(), definition, what, detail);
        lock (_events)
        {
            _events.Add(e);
            if (_events.Count > 1000) _events.RemoveRange(0, _events.Count - 1000);
        }
        switch (what)
        {
            case "started": LogFired(definition, detail); break;
            case "missed": LogMissed(definition, detail); break;
            default: LogScheduleEvent(definition, what, detail); break;
        }
        Event?.Invoke(e);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "schedule of {Definition} fired: {Detail}")]
    private partial void LogFired(string definition, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "schedule of {Definition} missed runs: {Detail}")]
    private partial void LogMissed(string definition, string detail);

    // "skipped": the previous run of the definition still goes on.
    [LoggerMessage(Level = LogLevel.Warning, Message = "schedule of {Definition} {What}: {Detail}")]
    private partial void LogScheduleEvent(string definition, string what, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "schedule of {Definition}: next run {NextRun:u}")]
    private partial void LogNextRun(string definition, DateTimeOffset nextRun);
}
