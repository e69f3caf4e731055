using Snapcat.Server.Catalog;
using Snapcat.Server.Retention;
using Snapcat.Server.Tests.Catalog;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Retention;

/// <summary>Migration 0006 on a real SQLite file, and on PostgreSQL when SNAPCAT_TEST_POSTGRES names a database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class RetentionCatalogTests : IDisposable
{
    private readonly TempDir _dir = new("retention-catalog");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [MemberData(nameof(PostgresCollection.Backends), MemberType = typeof(PostgresCollection))]
    public async Task A_definitions_retention_is_stored_read_back_and_updated(string backend)
    {
        await using var db = await PostgresCollection.OpenCatalogAsync(backend, _dir.Combine("catalog.db"));
        var store = new BackupDefinitionStore(db);
        var d = new BackupDefinition
        {
            Name = "nightly", Host = "db01", MountPoint = "/data", Kind = "snapshot", DeviceId = "ARRAY-01", Label = "nightly",
            TimeZone = "Europe/Berlin", Retention = new RetentionPolicy { KeepLast = 3, KeepDaily = 14, KeepWeekly = 8 },
        };
        await store.CreateAsync(d);
        Assert.Equal(d.Retention, (await store.GetAsync("nightly")).Retention);
        await store.UpdateAsync(d with { Retention = new RetentionPolicy { KeepMonthly = 12 }, KeepGenerations = 2 });
        var back = await store.GetAsync("nightly");
        Assert.Equal(new RetentionPolicy { KeepMonthly = 12 }, back.Retention);
        Assert.Equal(new RetentionPolicy { KeepLast = 2, KeepMonthly = 12 }, back.EffectiveRetention);

        // A definition stored with keep generations only (as before 0006) reads with no retention and keeps working as keep-last.
        await store.CreateAsync(d with { Name = "old", Retention = null, KeepGenerations = 4 });
        var old = (await store.ListAsync()).Single(x => x.Name == "old");
        Assert.Null(old.Retention);
        Assert.Equal(new RetentionPolicy { KeepLast = 4 }, old.EffectiveRetention);
    }

    [Theory]
    [MemberData(nameof(PostgresCollection.Backends), MemberType = typeof(PostgresCollection))]
    public async Task Protection_is_stored_with_its_date_lifted_and_expires(string backend)
    {
        await using var db = await PostgresCollection.OpenCatalogAsync(backend, _dir.Combine("catalog.db"));
        var store = new BackupDataStore(db);
        var t = new DateTimeOffset(2026, 12, 1, 2, 0, 0, TimeSpan.Zero);
        long a = await store.RecordAsync(CatalogTests.Row("db01", "5", t));
        long b = await store.RecordAsync(CatalogTests.Row("db01", "6", t.AddHours(1)));
        Assert.False((await store.GetAsync(a))!.Protected);

        var until = new DateTimeOffset(2027, 1, 31, 0, 0, 0, TimeSpan.Zero);
        Assert.True(await store.SetProtectionAsync(a, true, until));
        Assert.True(await store.SetProtectionAsync(b, true, null));
        Assert.False(await store.SetProtectionAsync(999, true, null));
        var rowA = (await store.GetAsync(a))!;
        Assert.Equal((true, until), (rowA.Protected, rowA.ProtectedUntil));
        Assert.True(rowA.IsProtectedAt(until.AddSeconds(-1)));
        Assert.False(rowA.IsProtectedAt(until));   // the date has come: prunable again
        var rowB = (await store.GetAtAsync("ARRAY-01", "6"))!;
        Assert.Equal((true, (DateTimeOffset?)null), (rowB.Protected, rowB.ProtectedUntil));
        Assert.True(rowB.IsProtectedAt(DateTimeOffset.MaxValue));
        Assert.Equal(2, (await store.SearchAsync(new Snapcat.Contracts.Server.BackupDataFilter())).Count(r => r.Protected));

        var refused = Assert.Throws<Snapcat.Core.Errors.SnapcatException>(() => BackupProtection.EnsureDeletable(rowA, until.AddDays(-1)));
        Assert.Equal("backup.protected", refused.Code);
        Assert.Contains("is protected until 2027-01-31 00:00:00Z", refused.Message);
        BackupProtection.EnsureDeletable(rowA, until);

        Assert.True(await store.SetProtectionAsync(b, false, null));
        Assert.False((await store.GetAsync(b))!.Protected);
        // A backup that overwrites the place (a mirror run) starts unprotected.
        await store.SetProtectionAsync(a, true, null);
        long c = await store.RecordAsync(CatalogTests.Row("db01", "5", t.AddDays(1)));
        Assert.False((await store.GetAsync(c))!.Protected);
    }
}
