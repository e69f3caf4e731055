using System.Diagnostics;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Snapcat.Contracts.Server;
using Snapcat.Server.Catalog;
using Snapcat.TestKit;
using Xunit.Abstractions;

namespace Snapcat.Console.Tests;

/// <summary>
/// The console's catalog search (GET /v1/backups/search, <see cref="BackupDataStore.SearchPageAsync"/>) with
/// 1,000,000 rows in a real SQLite catalog: every filter's page query walks an index (SQLite's own plan says so: no
/// temporary B-tree for the ORDER BY, no full scan), the keyset pages are disjoint and in order, and the time of a
/// first and a deep page is measured and printed (no timing asserts: the machine is shared).
/// </summary>
public sealed class CatalogPagingTests(ITestOutputHelper output)
{
    private const int Rows = 1_000_000;

    [Fact]
    public async Task Keyset_pages_over_a_million_rows_walk_an_index_for_every_filter_and_are_disjoint_and_ordered()
    {
        using var dir = new TempDir("console-paging");
        string path = dir.Combine("catalog.db");
        await using var db = await CatalogDatabase.OpenAsync(path);
        var fill = Stopwatch.StartNew();
        await FillAsync(path);
        output.WriteLine($"filled {Rows:N0} rows in {fill.Elapsed.TotalSeconds:0.0} s");
        var store = new BackupDataStore(db);
        Assert.Equal(Rows, await store.CountAsync());

        var now = DateTimeOffset.UnixEpoch.AddTicks(Start * 10);
        var filters = new (string Name, BackupDataFilter Filter)[]
        {
            ("newest", new BackupDataFilter()),
            ("host", new BackupDataFilter { Host = "host0421" }),
            ("host + mount point", new BackupDataFilter { Host = "host0421", MountPoint = "/data/1" }),
            ("label", new BackupDataFilter { Label = "label-7" }),
            ("kind", new BackupDataFilter { Kind = "snapshot" }),
            ("device", new BackupDataFilter { DeviceId = "ARRAY-07" }),
            ("definition", new BackupDataFilter { Definition = "def-3" }),
            ("time range (1 day)", new BackupDataFilter { From = now.AddDays(-3), To = now.AddDays(-2) }),
            ("host + time range", new BackupDataFilter { Host = "host0421", From = now.AddDays(-300), To = now.AddDays(-100) }),
        };
        foreach (var (name, filter) in filters)
        {
            string plan = await PlanAsync(path, filter);
            Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
            Assert.Contains("INDEX", plan, StringComparison.Ordinal);

            var first = Stopwatch.StartNew();
            var page1 = await store.SearchPageAsync(filter, null, 50);
            double firstMs = first.Elapsed.TotalMilliseconds;
            Assert.NotEmpty(page1);
            // Ten pages on by cursor, then the time of one more page from there.
            var last = page1[^1];
            var seen = page1.Select(r => r.Id).ToHashSet();
            for (int i = 0; i < 10 && last is not null; i++)
            {
                var page = await store.SearchPageAsync(filter, Cursor(last), 50);
                foreach (var r in page)
                {
                    Assert.True(seen.Add(r.Id), $"{name}: row {r.Id} came twice");
                    Assert.True((r.Timestamp, r.Id).CompareTo((last.Timestamp, last.Id)) < 0, $"{name}: row {r.Id} is out of order");
                    last = r;
                }
                if (page.Count < 50) last = null;
            }
            double deepMs = 0;
            if (last is not null)
            {
                var deep = Stopwatch.StartNew();
                await store.SearchPageAsync(filter, Cursor(last), 50);
                deepMs = deep.Elapsed.TotalMilliseconds;
            }
            output.WriteLine($"{name,-20} first page {firstMs,7:0.0} ms, page 12 {deepMs,7:0.0} ms; plan: {plan.Replace('\n', ';')}");
        }
    }

    private static readonly long Start = DateTimeOffset.Parse("2026-12-01T00:00:00Z", CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() * 1000;

    private static (long, long) Cursor(BackupDataRow r) => ((r.Timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10, r.Id);

    /// <summary>
    /// 1,000,000 rows (1,000 hosts, 10 mount points, 50 labels, 20 arrays, 40 definitions, a row a minute back in time)
    /// by one INSERT … SELECT over a recursive counter, with the indexes dropped first and made again after: the way
    /// to load a million rows in seconds rather than minutes. The schema is the migrated catalog's own.
    /// </summary>
    private static async Task FillAsync(string path)
    {
        await using var c = new SqliteConnection($"Data Source={path}");
        await c.OpenAsync();
        var indexes = (await c.QueryAsync<(string Name, string Sql)>(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'backup_data' AND sql IS NOT NULL")).ToList();
        Assert.Contains(indexes, i => i.Name == "backup_data_kind_time");
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync();
        foreach (var (name, _) in indexes) await RunAsync(c, tx, $"DROP INDEX {name}");
        await RunAsync(c, tx, $"""
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {Rows - 1})
            INSERT INTO backup_data (id, host, mount_point, kind, device_id, media_id, label, time_us, backup_id, volume_info, origin, definition, recorded_us)
            SELECT i + 1, printf('host%04d', i % 1000), '/data/' || (i % 10), CASE WHEN i % 3 = 0 THEN 'snapshot' ELSE 'mirror' END,
                   printf('ARRAY-%02d', i % 20), CAST(i + 1 AS TEXT), 'label-' || (i % 50), {Start} - i * 60000000,
                   printf('%08x-0000-0000-0000-000000000000', i), zeroblob(512), 'backup', 'def-' || (i % 40), {Start}
            FROM n
            """);
        foreach (var (_, sql) in indexes) await RunAsync(c, tx, sql);
        await tx.CommitAsync();
        await RunAsync(c, null, "ANALYZE");
    }

    private static async Task RunAsync(SqliteConnection c, SqliteTransaction? tx, string sql)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.CommandTimeout = 600;
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>SQLite's plan for the page query the store sends (its own SQL, from a cursor).</summary>
    private static async Task<string> PlanAsync(string path, BackupDataFilter f)
    {
        var (sql, args) = BackupDataStore.PageQuery(f, (Start, 500_000), 51);
        await using var c = new SqliteConnection($"Data Source={path}");
        await c.OpenAsync();
        var rows = await c.QueryAsync("EXPLAIN QUERY PLAN " + sql, args);
        return string.Join("\n", rows.Select(r => (string)((IDictionary<string, object>)r)["detail"]));
    }
}
