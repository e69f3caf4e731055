using Dapper;
using Snapcat.Core.VolumeInformation;
using Snapcat.Server.Catalog;
using Snapcat.TestKit;
using Snapcat.Contracts.Server;

namespace Snapcat.Server.Tests.Catalog;

/// <summary>The catalog on a real SQLite file, and on PostgreSQL when SNAPCAT_TEST_POSTGRES names a database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CatalogTests : IDisposable
{
    private readonly TempDir _dir = new("catalog");

    public void Dispose() => _dir.Dispose();

    private Task<CatalogDatabase> OpenAsync(string backend) => PostgresCollection.OpenCatalogAsync(backend, _dir.Combine("catalog.db"));

    internal static BackupDataRow Row(string host, string media, DateTimeOffset t, string label = "nightly", string device = "ARRAY-01")
    {
        var info = new VolumeInfoRecord
        {
            Label = label, Host = host, MountPoint = "/data", Timestamp = VolumeInfoRecord.TruncateToMicros(t),
            Kind = BackupKind.Mirror, SourceDeviceId = device, SourceVolume = 1, BackupId = Guid.NewGuid(),
        };
        return new BackupDataRow
        {
            Host = host, MountPoint = "/data", Kind = "mirror", DeviceId = device, MediaId = media, Label = label,
            Timestamp = info.Timestamp, BackupId = info.BackupId, VolumeInfo = info.Encode(), Origin = BackupOrigin.Backup,
        };
    }

    [Theory]
    [MemberData(nameof(PostgresCollection.Backends), MemberType = typeof(PostgresCollection))]
    public async Task Record_search_and_delete(string backend)
    {
        await using var db = await OpenAsync(backend);
        var store = new BackupDataStore(db);
        var t0 = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        await store.RecordAsync(Row("db01", "2", t0));
        await store.RecordAsync(Row("db01", "3", t0.AddDays(1), label: "weekly"));
        await store.RecordAsync(Row("web01", "4", t0.AddDays(2)));

        var all = await store.SearchAsync(new BackupDataFilter());
        Assert.Equal(["4", "3", "2"], all.Select(r => r.MediaId));   // newest first
        Assert.Equal(2, (await store.SearchAsync(new BackupDataFilter { Host = "db01" })).Count);
        Assert.Single(await store.SearchAsync(new BackupDataFilter { Label = "weekly" }));
        var range = await store.SearchAsync(new BackupDataFilter { From = t0.AddHours(1), To = t0.AddDays(2) });
        Assert.Equal("3", Assert.Single(range).MediaId);

        var got = await store.GetAsync(all[0].Id);
        Assert.NotNull(got);
        Assert.Equal(all[0].Timestamp, got.Timestamp);
        Assert.Equal(512, got.VolumeInfo.Length);
        Assert.Equal(VolumeInfoRecord.Decode(got.VolumeInfo).BackupId, got.BackupId);

        // A new backup onto the same medium replaces the old row (FIG. 9 removes the overwritten destination's rows).
        await store.RecordAsync(Row("db01", "2", t0.AddDays(5)));
        Assert.Equal(3, await store.CountAsync());
        Assert.Equal(1, await store.DeleteAtAsync("ARRAY-01", "2"));
        Assert.Equal(2, await store.CountAsync());
    }

    [Theory]
    [MemberData(nameof(PostgresCollection.Backends), MemberType = typeof(PostgresCollection))]
    public async Task Merge_is_idempotent_and_reports_what_it_did(string backend)
    {
        await using var db = await OpenAsync(backend);
        var store = new BackupDataStore(db);
        var t0 = DateTimeOffset.UtcNow;
        var rows = new[] { Row("a", "1", t0), Row("b", "2", t0) };
        Assert.Equal([BackupDataStore.UpsertOutcome.Added, BackupDataStore.UpsertOutcome.Added], await store.MergeAsync(rows));
        Assert.Equal([BackupDataStore.UpsertOutcome.Unchanged, BackupDataStore.UpsertOutcome.Unchanged], await store.MergeAsync(rows));
        var replaced = new[] { Row("c", "2", t0.AddMinutes(1)) };
        Assert.Equal([BackupDataStore.UpsertOutcome.Updated], await store.MergeAsync(replaced));
        Assert.Equal(2, await store.CountAsync());
    }

    [Fact]
    public async Task Upgrade_from_version_1_keeps_rows_and_a_newer_catalog_is_refused()
    {
        string path = _dir.Combine("old.db");
        await using (var db = await CatalogDatabase.OpenAsync(path)) { }
        // Build a version-1 catalog by hand from the first migration only, as an old Snapcat left it.
        File.Delete(path);
        var v1 = CatalogMigrator.Available(CatalogDialect.Sqlite).First(m => m.Version == 1);
        await using (var raw = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await raw.OpenAsync();
            await raw.ExecuteAsync("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_us BIGINT NOT NULL)");
            await raw.ExecuteAsync(v1.Sql);
            await raw.ExecuteAsync("INSERT INTO schema_version VALUES (1, 'catalog', 0)");
            await raw.ExecuteAsync("""
                INSERT INTO backup_data (host, mount_point, kind, device_id, media_id, label, time_us, backup_id, volume_info, origin, recorded_us)
                VALUES ('db01', '/data', 'mirror', 'ARRAY-01', '2', 'old', 1, '0f8fad5b-d9cb-469f-a165-70867728950e', zeroblob(512), 'backup', 1)
                """);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await using (var db = await CatalogDatabase.OpenAsync(path))
        {
            await using var c = await db.OpenConnectionAsync();
            Assert.Equal(CatalogMigrator.Available(CatalogDialect.Sqlite)[^1].Version, await c.ExecuteScalarAsync<int>("SELECT MAX(version) FROM schema_version"));
            Assert.Equal("old", await c.ExecuteScalarAsync<string>("SELECT label FROM backup_data"));
            Assert.Equal(0, await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM job"));   // table of migration 2 exists
            await c.ExecuteAsync("INSERT INTO schema_version VALUES (999, 'future', 0)");
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var ex = await Assert.ThrowsAsync<Snapcat.Core.Errors.SnapcatException>(() => CatalogDatabase.OpenAsync(path));
        Assert.Equal("catalog.too_new", ex.Code);
    }

    [Fact]
    public void Both_dialects_have_the_same_migrations()
    {
        var s = CatalogMigrator.Available(CatalogDialect.Sqlite).Select(m => (m.Version, m.Name)).ToArray();
        var p = CatalogMigrator.Available(CatalogDialect.Postgres).Select(m => (m.Version, m.Name)).ToArray();
        Assert.NotEmpty(s);
        Assert.Equal(s, p);
        Assert.Equal(Enumerable.Range(1, s.Length), s.Select(x => x.Version));
    }
}
