using System.Collections.Concurrent;
using Snapcat.Server.Catalog;
using Snapcat.Server.Scheduling;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Scheduling;

public sealed class BackupSchedulerTests : IDisposable
{
    private readonly TempDir _dir = new("scheduler");

    public void Dispose() => _dir.Dispose();

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class Recorder : IBackupRunStarter
    {
        public ConcurrentQueue<(string Name, string Trigger)> Runs { get; } = new();
        public bool Busy { get; set; }
        public bool TryStart(BackupDefinition d, string trigger)
        {
            if (Busy) return false;
            Runs.Enqueue((d.Name, trigger));
            return true;
        }
    }

    private static BackupDefinition Def(string name, string cron, string missed = "skip", DateTimeOffset? created = null) => new()
    {
        Name = name, Host = "db01", MountPoint = "/data", Kind = "snapshot", DeviceId = "ARRAY-01", KeepGenerations = 3,
        Label = name, Schedule = cron, MissedRuns = missed, Created = created ?? DateTimeOffset.UtcNow,
    };

    [Fact]
    public async Task Fires_each_occurrence_once_and_reports_missed_runs_by_policy()
    {
        await using var db = await CatalogDatabase.OpenAsync(_dir.Combine("c.db"));
        var defs = new BackupDefinitionStore(db);
        var t0 = new DateTimeOffset(2026, 11, 25, 10, 0, 30, TimeSpan.Zero);
        await defs.CreateAsync(Def("hourly-skip", "0 * * * *", "skip", t0));
        await defs.CreateAsync(Def("hourly-once", "0 * * * *", "run_once", t0));
        var clock = new ManualTime(t0);
        var runs = new Recorder();
        var s = new BackupScheduler(defs, runs, clock);

        Assert.Equal(new DateTimeOffset(2026, 11, 25, 11, 0, 0, TimeSpan.Zero), await s.TickAsync());
        Assert.Empty(runs.Runs);

        clock.Now = new DateTimeOffset(2026, 11, 25, 11, 0, 10, TimeSpan.Zero);   // on time
        await s.TickAsync();
        await s.TickAsync();                                                     // same occurrence: not again
        Assert.Equal(2, runs.Runs.Count);

        clock.Now = new DateTimeOffset(2026, 11, 25, 15, 20, 0, TimeSpan.Zero);  // "down" for 12:00..15:00
        runs.Runs.Clear();
        await s.TickAsync();
        Assert.Equal(["hourly-once"], runs.Runs.Select(r => r.Name));
        var missed = s.RecentEvents().Where(e => e.What == "missed").ToArray();
        Assert.Equal(2, missed.Length);
        Assert.All(missed, e => Assert.Contains("4 scheduled run(s)", e.Detail));
        Assert.Contains(missed, e => e.Definition == "hourly-skip" && e.Detail.Contains("skipped"));

        // The handled occurrence is persisted: a new scheduler (server restart) does not repeat it.
        runs.Runs.Clear();
        await new BackupScheduler(defs, runs, clock).TickAsync();
        Assert.Empty(runs.Runs);
    }

    [Fact]
    public async Task A_run_still_going_makes_the_next_occurrence_skip()
    {
        await using var db = await CatalogDatabase.OpenAsync(_dir.Combine("c.db"));
        var defs = new BackupDefinitionStore(db);
        var t0 = new DateTimeOffset(2026, 11, 25, 10, 0, 30, TimeSpan.Zero);
        await defs.CreateAsync(Def("busy", "* * * * *", created: t0));
        var clock = new ManualTime(t0.AddSeconds(40));
        var runs = new Recorder { Busy = true };
        var s = new BackupScheduler(defs, runs, clock);
        await s.TickAsync();
        Assert.Empty(runs.Runs);
        Assert.Contains(s.RecentEvents(), e => e.What == "skipped" && e.Detail.Contains("still going"));
    }

    [Fact]
    public async Task A_cron_definition_really_fires_on_the_system_clock()
    {
        await using var db = await CatalogDatabase.OpenAsync(_dir.Combine("c.db"));
        var defs = new BackupDefinitionStore(db);
        await defs.CreateAsync(Def("every-second", "* * * * * *"));
        var runs = new Recorder();
        var s = new BackupScheduler(defs, runs);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var loop = s.RunAsync(cts.Token);
        await Poll.UntilAsync(() => runs.Runs.Count >= 2, TimeSpan.FromSeconds(15), "two scheduled runs");
        cts.Cancel();
        await loop;
        Assert.All(runs.Runs, r => Assert.StartsWith("schedule ", r.Trigger));
    }
}
