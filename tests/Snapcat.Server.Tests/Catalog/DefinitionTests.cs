using Snapcat.Core.Errors;
using Snapcat.Server.Catalog;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Catalog;

public sealed class DefinitionTests : IDisposable
{
    private readonly TempDir _dir = new("definitions");

    public void Dispose() => _dir.Dispose();

    private static BackupDefinition Mirror(string name = "db-nightly") => new()
    {
        Name = name, Host = "db01", MountPoint = "/data", Kind = "mirror", DeviceId = "ARRAY-01", DestinationVolume = 2,
        PreHook = "freeze", PostHook = "thaw", Label = "nightly", Schedule = "30 2 * * *", TimeZone = "Europe/Berlin",
    };

    [Fact]
    public async Task Definitions_round_trip_and_names_are_unique()
    {
        await using var db = await CatalogDatabase.OpenAsync(_dir.Combine("c.db"));
        var store = new BackupDefinitionStore(db);
        var d = Mirror();
        await store.CreateAsync(d);
        var back = await store.GetAsync(d.Name);
        Assert.Equal(d with { Created = back.Created }, back);
        var dup = await Assert.ThrowsAsync<SnapcatException>(() => store.CreateAsync(d));
        Assert.Equal("definition.exists", dup.Code);
        await store.SetLastFireAsync(d.Name, new DateTimeOffset(2026, 11, 25, 1, 30, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 1, 30, 0, TimeSpan.Zero), (await store.GetAsync(d.Name)).LastFire);
        await store.DeleteAsync(d.Name);
        var gone = await Assert.ThrowsAsync<SnapcatException>(() => store.GetAsync(d.Name));
        Assert.Equal(ErrorKind.NotFound, gone.Kind);
    }

    [Fact]
    public async Task Bad_definitions_are_refused_with_every_problem_and_nothing_is_stored()
    {
        await using var db = await CatalogDatabase.OpenAsync(_dir.Combine("c.db"));
        var store = new BackupDefinitionStore(db);
        var bad = Mirror() with { Schedule = "61 * * * *", TimeZone = "Mars/Olympus", DestinationVolume = null, Label = "" };
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => store.CreateAsync(bad));
        Assert.Equal("definition.invalid", ex.Code);
        Assert.Contains("cron", ex.Message);
        Assert.Contains("Mars/Olympus", ex.Message);
        Assert.Contains("destination", ex.Message);
        Assert.Contains("label", ex.Message);
        Assert.Empty(await store.ListAsync());
        Assert.Contains((Mirror() with { Kind = "snapshot", DestinationVolume = null }).Problems(), p => p.Contains("keep generations"));
    }

    [Fact]
    public void Next_run_follows_the_time_zone_across_daylight_saving_changes()
    {
        var d = Mirror() with { Schedule = "30 2 * * *", TimeZone = "Europe/Berlin" };
        // 2026-03-29: clocks jump 02:00 -> 03:00 in Berlin; 02:30 does not exist that day, Cronos runs it at 03:00 local.
        var before = new DateTimeOffset(2026, 3, 28, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 1, 0, 0, TimeSpan.Zero), d.NextRun(before));
        // In winter 02:30 Berlin is 01:30 UTC; in summer 00:30 UTC.
        Assert.Equal(new DateTimeOffset(2026, 1, 10, 1, 30, 0, TimeSpan.Zero), d.NextRun(new DateTimeOffset(2026, 1, 10, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateTimeOffset(2026, 7, 10, 0, 30, 0, TimeSpan.Zero), d.NextRun(new DateTimeOffset(2026, 7, 9, 23, 0, 0, TimeSpan.Zero)));
        Assert.Null((d with { Schedule = null }).NextRun(before));
        Assert.NotNull((d with { Schedule = "*/5 * * * * *" }).NextRun(before)); // six fields: with seconds
    }

    [Fact]
    public async Task Backup_volume_table_keeps_the_copy_to_list()
    {
        await using var db = await CatalogDatabase.OpenAsync(_dir.Combine("c.db"));
        var store = new BackupVolumeStore(db);
        await store.SaveAsync(new BackupVolume("db01", "/data", "ARRAY-01", [3, 2, 3]));
        var v = await store.GetAsync("db01", "/data");
        Assert.NotNull(v);
        Assert.Equal([2u, 3u], v.CopyTo);
        await store.SaveAsync(new BackupVolume("db01", "/data", "ARRAY-01", [4]));
        Assert.Equal([4u], (await store.GetAsync("db01", "/data"))!.CopyTo);
        Assert.Null(await store.GetAsync("db01", "/nope"));
        Assert.Single(await store.ListAsync());
    }
}
