using System.Collections.Concurrent;
using Dapper;
using Snapcat.Server.Catalog;
using Snapcat.Server.Scheduling;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Scheduling;

/// <summary>
/// The enabled flag of a definition (migration 0005) on a real SQLite (and with SNAPCAT_TEST_POSTGRES PostgreSQL) catalog, with the scheduler driven by a
/// manual clock (<see cref="BackupScheduler.TickAsync"/>): disabled is never fired, enabled fires from the next occurrence.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DisabledDefinitionTests : IDisposable
{
    private readonly TempDir _dir = new("disabled-definitions");

    public void Dispose() => _dir.Dispose();

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class Recorder : IBackupRunStarter
    {
        public ConcurrentQueue<string> Runs { get; } = new();
        public bool TryStart(BackupDefinition d, string trigger)
        {
            Runs.Enqueue(d.Name);
            return true;
        }
    }

    private static BackupDefinition Def(string name, DateTimeOffset created, string missed = "skip") => new()
    {
        Name = name, Host = "db01", MountPoint = "/data", Kind = "snapshot", DeviceId = "ARRAY-01", KeepGenerations = 3,
        Label = name, Schedule = "* * * * *", MissedRuns = missed, Created = created,
    };

    [Theory]
    [MemberData(nameof(PostgresCollection.Backends), MemberType = typeof(PostgresCollection))]
    public async Task A_disabled_every_minute_definition_is_never_fired_and_enabling_fires_it_from_the_next_minute_without_missed_runs(string backend)
    {
        await using var db = await PostgresCollection.OpenCatalogAsync(backend, _dir.Combine("c.db"));
        var defs = new BackupDefinitionStore(db);
        var t0 = new DateTimeOffset(2026, 11, 25, 10, 0, 30, TimeSpan.Zero);
        // run_once: were the disabled hours counted as missed, enabling would start a run at once.
        await defs.CreateAsync(Def("off", t0, missed: "run_once") with { Enabled = false });
        await defs.CreateAsync(Def("on", t0));
        var clock = new ManualTime(t0);
        var runs = new Recorder();
        var s = new BackupScheduler(defs, runs, clock);

        for (int minute = 1; minute <= 5; minute++)
        {
            clock.Now = t0.AddMinutes(minute);
            await s.TickAsync();
        }
        Assert.Equal(5, runs.Runs.Count(n => n == "on"));
        Assert.DoesNotContain("off", runs.Runs);
        Assert.DoesNotContain(s.RecentEvents(), e => e.Definition == "off");
        Assert.False((await defs.GetAsync("off")).Enabled);

        // Enabled three hours later, as DefinitionService.PatchAsync does it: last fire moves to the moment of enabling.
        clock.Now = t0.AddHours(3);
        var off = await defs.GetAsync("off");
        await defs.UpdateAsync(off with { Enabled = true, LastFire = clock.Now });
        runs.Runs.Clear();
        await s.TickAsync();
        Assert.DoesNotContain("off", runs.Runs);
        Assert.DoesNotContain(s.RecentEvents(), e => e.Definition == "off" && e.What == "missed");
        clock.Now = t0.AddHours(3).AddSeconds(40);   // 13:01:10: the next minute has come
        await s.TickAsync();
        Assert.Contains("off", runs.Runs);
    }

    [Fact]
    public async Task Migration_5_keeps_every_stored_definition_enabled()
    {
        string path = _dir.Combine("v4.db");
        await using (var raw = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await raw.OpenAsync();
            await raw.ExecuteAsync("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_us BIGINT NOT NULL)");
            foreach (var m in CatalogMigrator.Available(CatalogDialect.Sqlite).Where(m => m.Version <= 4))
            {
                await raw.ExecuteAsync(m.Sql);
                await raw.ExecuteAsync("INSERT INTO schema_version VALUES (@v, @n, 0)", new { v = m.Version, n = m.Name });
            }
            await raw.ExecuteAsync("""
                INSERT INTO backup_definition (name, host, mount_point, kind, device_id, label, keep_generations, schedule, created_us)
                VALUES ('old', 'db01', '/data', 'snapshot', 'ARRAY-01', 'hourly', 5, '0 * * * *', 0)
                """);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await using var db = await CatalogDatabase.OpenAsync(path);
        Assert.Contains(CatalogMigrator.Available(CatalogDialect.Sqlite), m => m is { Version: 5, Name: "definition_enabled" });
        var old = await new BackupDefinitionStore(db).GetAsync("old");
        Assert.True(old.Enabled);
        Assert.Equal("0 * * * *", old.Schedule);
    }
}
