using Microsoft.Extensions.Logging;
using Snapcat.Server.Catalog;
using Snapcat.Server.Scheduling;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Scheduling;

/// <summary>
/// Every schedule event reaches the server's log: a run fired, runs missed while the server was down, an occurrence
/// skipped because the previous run still goes on, and the next run whenever it changes (once, not at every tick).
/// </summary>
public sealed class ScheduleLogTests : IDisposable
{
    private readonly TempDir _dir = new("schedule-log");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Fired_missed_skipped_and_next_run_are_logged()
    {
        await using var db = await CatalogDatabase.OpenAsync(_dir.Combine("c.db"));
        var defs = new BackupDefinitionStore(db);
        var t0 = new DateTimeOffset(2026, 11, 25, 10, 0, 30, TimeSpan.Zero);
        await defs.CreateAsync(new BackupDefinition
        {
            Name = "hourly", Host = "h1", MountPoint = "/data", Kind = "snapshot", DeviceId = "A1", KeepGenerations = 3,
            Label = "hourly", Schedule = "0 * * * *", MissedRuns = "skip", Created = t0,
        });
        var clock = new ManualTime(t0);
        var runs = new Starter();
        var log = new ListLogger();
        var s = new BackupScheduler(defs, runs, clock, log);

        await s.TickAsync();
        await s.TickAsync();
        Assert.Equal([(LogLevel.Information, "schedule of hourly: next run 2026-11-25 11:00:00Z")], log.Entries);

        clock.Now = new DateTimeOffset(2026, 11, 25, 11, 0, 5, TimeSpan.Zero);
        await s.TickAsync();
        Assert.Equal((LogLevel.Information, "schedule of hourly fired: scheduled run for 2026-11-25 11:00:00Z"), log.Entries[1]);
        Assert.Equal((LogLevel.Information, "schedule of hourly: next run 2026-11-25 12:00:00Z"), log.Entries[2]);

        runs.Busy = true;
        clock.Now = new DateTimeOffset(2026, 11, 25, 12, 0, 5, TimeSpan.Zero);
        await s.TickAsync();
        Assert.Contains(log.Entries, e => e == (LogLevel.Warning, "schedule of hourly skipped: scheduled run for 2026-11-25 12:00:00Z skipped: the previous run is still going"));

        runs.Busy = false;
        clock.Now = new DateTimeOffset(2026, 11, 25, 16, 20, 0, TimeSpan.Zero);   // "down" for 13:00..16:00
        await s.TickAsync();
        Assert.Contains(log.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith("schedule of hourly missed runs: 4 scheduled run(s)", StringComparison.Ordinal));
        Assert.Equal((LogLevel.Information, "schedule of hourly: next run 2026-11-25 17:00:00Z"), log.Entries[^1]);
    }

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class Starter : IBackupRunStarter
    {
        public bool Busy { get; set; }
        public bool TryStart(BackupDefinition definition, string trigger) => !Busy;
    }

    private sealed class ListLogger : ILogger
    {
        private readonly List<(LogLevel, string)> _entries = [];
        public IReadOnlyList<(LogLevel Level, string Message)> Entries { get { lock (_entries) return _entries.ToArray(); } }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_entries) _entries.Add((logLevel, formatter(state, exception)));
        }
    }
}
