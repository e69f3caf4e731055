using Dapper;
using Snapcat.Server.Catalog;
using Snapcat.TestKit;
using Snapcat.Contracts.Server;

namespace Snapcat.Server.Tests.Catalog;

/// <summary>
/// Backup IDs from the never-reused sequence of migration 0003 (issue 15.7), the definition column (issue 9.1)
/// and paging past one query's limit (issue 9.14), on a real SQLite file and on PostgreSQL when SNAPCAT_TEST_POSTGRES is set.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class BackupNumberTests : IDisposable
{
    private readonly TempDir _dir = new("backup-numbers");

    public void Dispose() => _dir.Dispose();

    private Task<CatalogDatabase> OpenAsync(string backend) => PostgresCollection.OpenCatalogAsync(backend, _dir.Combine("catalog.db"));

    [Theory]
    [MemberData(nameof(PostgresCollection.Backends), MemberType = typeof(PostgresCollection))]
    public async Task Deleting_the_newest_row_does_not_give_its_ID_to_the_next_backup(string backend)
    {
        await using var db = await OpenAsync(backend);
        var store = new BackupDataStore(db);
        var t0 = DateTimeOffset.UtcNow;
        long a = await store.RecordAsync(CatalogTests.Row("db01", "2", t0));
        long b = await store.RecordAsync(CatalogTests.Row("db01", "3", t0.AddSeconds(1)));
        Assert.True(b > a);
        // SQLite's rowid would hand MAX(id)+1 = b out again here.
        await store.DeleteAtAsync("ARRAY-01", "3");
        long c = await store.RecordAsync(CatalogTests.Row("db01", "4", t0.AddSeconds(2)));
        Assert.True(c > b, $"ID {c} after deleting {b}");
        // An allocated number is spent even if no row ever gets it.
        long spent = await store.AllocateIdAsync();
        long d = await store.RecordAsync(CatalogTests.Row("db01", "5", t0.AddSeconds(3)));
        Assert.Equal(spent + 1, d);
    }

    [Theory]
    [MemberData(nameof(PostgresCollection.Backends), MemberType = typeof(PostgresCollection))]
    public async Task Merge_restores_the_ID_a_record_carries_and_moves_the_sequence_past_it(string backend)
    {
        await using var db = await OpenAsync(backend);
        var store = new BackupDataStore(db);
        var t0 = DateTimeOffset.UtcNow;
        await store.MergeAsync([CatalogTests.Row("db01", "7", t0) with { Id = 500, Definition = "hourly" }]);
        var restored = Assert.Single(await store.SearchAsync(new BackupDataFilter { Definition = "hourly" }));
        Assert.Equal(500, restored.Id);
        Assert.True(await store.AllocateIdAsync() > 500);

        // Two records claiming one number (a volume copied on the array directly): the second gets a new ID.
        var outcomes = await store.MergeAsync([CatalogTests.Row("db01", "8", t0) with { Id = 500 }]);
        Assert.Equal([BackupDataStore.UpsertOutcome.Added], outcomes);
        var other = Assert.Single(await store.SearchAsync(new BackupDataFilter { DeviceId = "ARRAY-01" }), r => r.MediaId == "8");
        Assert.NotEqual(500, other.Id);
        Assert.Null(other.Definition);
    }

    [Theory]
    [MemberData(nameof(PostgresCollection.Backends), MemberType = typeof(PostgresCollection))]
    public async Task A_row_an_older_rebuild_marked_rebuild_gets_the_records_origin_and_keeps_its_ID(string backend)
    {
        await using var db = await OpenAsync(backend);
        var store = new BackupDataStore(db);
        var legacy = CatalogTests.Row("db01", "9", DateTimeOffset.UtcNow) with { Origin = BackupOrigin.Rebuild };
        long id = await store.RecordAsync(legacy);
        Assert.Equal([BackupDataStore.UpsertOutcome.Updated], await store.MergeAsync([legacy with { Origin = BackupOrigin.Copy }]));
        var row = (await store.GetAsync(id))!;
        Assert.Equal(BackupOrigin.Copy, row.Origin);
        Assert.Equal([BackupDataStore.UpsertOutcome.Unchanged], await store.MergeAsync([legacy with { Origin = BackupOrigin.Copy }]));
    }

    [Fact]
    public async Task SearchAll_pages_past_the_limit_of_one_query()
    {
        await using var db = await OpenAsync("sqlite");
        var store = new BackupDataStore(db);
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        int n = BackupDataStore.PageLimit + 37;
        await store.MergeAsync(Enumerable.Range(1, n).Select(i => CatalogTests.Row("db01", i.ToString(), t0.AddSeconds(i))).ToList());
        Assert.Equal(BackupDataStore.PageLimit, (await store.SearchAsync(new BackupDataFilter { Limit = int.MaxValue })).Count);
        var all = await store.SearchAllAsync(new BackupDataFilter { DeviceId = "ARRAY-01" });
        Assert.Equal(n, all.Count);
        Assert.Equal(n, all.Select(r => r.Id).Distinct().Count());
        Assert.Equal(n.ToString(), all[0].MediaId);   // newest first
    }

    [Fact]
    public async Task Upgrade_to_version_3_starts_the_sequence_after_the_rows_and_names_the_definition_that_matches()
    {
        string path = _dir.Combine("v2.db");
        await using (var raw = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await raw.OpenAsync();
            await raw.ExecuteAsync("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_us BIGINT NOT NULL)");
            foreach (var m in CatalogMigrator.Available(CatalogDialect.Sqlite).Where(m => m.Version <= 2))
            {
                await raw.ExecuteAsync(m.Sql);
                await raw.ExecuteAsync("INSERT INTO schema_version VALUES (@v, @n, 0)", new { v = m.Version, n = m.Name });
            }
            await raw.ExecuteAsync("""
                INSERT INTO backup_definition (name, host, mount_point, kind, device_id, label, keep_generations, created_us)
                VALUES ('five', 'db01', '/data', 'snapshot', 'ARRAY-01', 'hourly', 5, 0),
                       ('twin-a', 'db01', '/data', 'snapshot', 'ARRAY-01', 'same', 1, 0),
                       ('twin-b', 'db01', '/data', 'snapshot', 'ARRAY-01', 'same', 1, 0);
                INSERT INTO backup_data (id, host, mount_point, kind, device_id, media_id, label, time_us, backup_id, volume_info, origin, recorded_us)
                VALUES (40, 'db01', '/data', 'snapshot', 'ARRAY-01', '5', 'hourly', 1, '0f8fad5b-d9cb-469f-a165-70867728950e', zeroblob(512), 'backup', 1),
                       (41, 'db01', '/data', 'snapshot', 'ARRAY-01', '6', 'same', 1, '1f8fad5b-d9cb-469f-a165-70867728950e', zeroblob(512), 'backup', 1),
                       (42, 'db01', '/data', 'snapshot', 'ARRAY-01', '7', 'hourly', 1, '2f8fad5b-d9cb-469f-a165-70867728950e', zeroblob(512), 'copy', 1);
                """);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await using var db = await CatalogDatabase.OpenAsync(path);
        var store = new BackupDataStore(db);
        Assert.Equal(43, await store.AllocateIdAsync());
        var rows = (await store.SearchAsync(new BackupDataFilter())).ToDictionary(r => r.Id);
        Assert.Equal("five", rows[40].Definition);
        Assert.Null(rows[41].Definition);   // two definitions match: unknown, never pruned by either
        Assert.Null(rows[42].Definition);   // a copy is no definition's generation
    }

    [Fact]
    public void Persisted_origin_names_never_change()
    {
        // The origin column holds these names (CHECK constraint of migration 0001).
        Assert.Equal("backup", BackupDataStore.OriginName(BackupOrigin.Backup));
        Assert.Equal("rebuild", BackupDataStore.OriginName(BackupOrigin.Rebuild));
        Assert.Equal("copy", BackupDataStore.OriginName(BackupOrigin.Copy));
        Assert.Equal(3, Enum.GetValues<BackupOrigin>().Length);
    }
}
