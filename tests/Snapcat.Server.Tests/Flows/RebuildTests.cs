using Snapcat.Core.Errors;
using Snapcat.Core.VolumeInformation;
using Snapcat.Server.Flows;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.Contracts.Server;

namespace Snapcat.Server.Tests.Flows;

/// <summary>FIG. 15 against a real array whose volume information was written by real backup runs.</summary>
public sealed class RebuildTests
{
    private static object Key(BackupDto b) => (b.Host, b.MountPoint, b.Label, b.Timestamp, b.Kind, b.DeviceId, b.MediaId);

    [Fact]
    public async Task Catalog_loss_then_rebuild_gives_identical_rows_and_a_second_rebuild_changes_nothing()
    {
        await using var f = await ServerRig.StartAsync();
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly"));
        await f.Client.CreateDefinitionAsync(ServerRig.Snapshot("hourly", keep: 5));
        await f.RunAsync("nightly");
        await f.RunAsync("hourly");
        await f.RunAsync("hourly");
        var before = await f.Client.SearchBackupsAsync(new BackupDataFilter());
        Assert.Equal(3, before.Count);
        Assert.All(before, b => Assert.Equal("backup", b.Origin));
        Assert.Equal(["mirror", "snapshot", "snapshot"], before.Select(b => b.Kind).Order());

        await f.LoseCatalogAsync();
        await f.StartServerAsync();
        Assert.Empty(await f.Client.SearchBackupsAsync(new BackupDataFilter()));

        var report = await RebuildAsync(f);
        Assert.Equal(3, report.Added);
        Assert.Equal(0, report.Invalid);
        var after = await f.Client.SearchBackupsAsync(new BackupDataFilter());
        Assert.Equal(before.Select(Key).OrderBy(k => k.ToString()), after.Select(Key).OrderBy(k => k.ToString()));
        Assert.Equal(before.Select(b => b.VolumeInfo).Order(), after.Select(b => b.VolumeInfo).Order());
        // Origin, definition and ID come back from the records (record version 2).
        Assert.All(after, b => Assert.Equal("backup", b.Origin));
        Assert.Equal(before.Select(b => (b.Id, b.MediaId, b.Definition)).Order(), after.Select(b => (b.Id, b.MediaId, b.Definition)).Order());
        Assert.Equal(["hourly", "hourly", "nightly"], after.Select(b => b.Definition).Order());

        // Idempotent: nothing added or updated, the same rows with the same IDs.
        var again = await RebuildAsync(f);
        Assert.Equal((0, 3, 0), (again.Added, again.Unchanged, again.Updated));
        var third = await f.Client.SearchBackupsAsync(new BackupDataFilter());
        Assert.Equal(after.Select(b => (b.Id, Key(b))), third.Select(b => (b.Id, Key(b))));
        // Volume 4 (spare) and the primary carry no record; they are reported, not imported.
        Assert.Contains(4u, again.Arrays[0].WithoutVolumeInfo);
    }

    [Fact]
    public async Task A_corrupted_record_is_reported_invalid_and_the_rest_is_imported()
    {
        await using var f = await ServerRig.StartAsync();
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly", volume: 2));
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("weekly", volume: 3, label: "weekly"));
        await f.RunAsync("nightly");
        await f.RunAsync("weekly");

        // Flip one byte of the label of volume 3's record on the array: its checksum no longer matches.
        byte[] raw = (await f.Array.GetVolumeInfoAsync(3))!;
        raw[20] ^= 0x40;
        await f.Array.PutVolumeInfoAsync(3, raw);

        await f.LoseCatalogAsync();
        await f.StartServerAsync();
        var report = await RebuildAsync(f);
        Assert.Equal(1, report.Added);
        var bad = Assert.Single(report.Arrays[0].Invalid);
        Assert.Equal(3u, bad.Volume);
        Assert.Contains("checksum", bad.Reason);
        var rows = await f.Client.SearchBackupsAsync(new BackupDataFilter());
        Assert.Equal("2", Assert.Single(rows).MediaId);
        Assert.Equal("nightly", rows[0].Label);
    }

    [Fact]
    public async Task Rebuild_of_an_array_not_in_the_configuration_is_a_clear_error()
    {
        await using var f = await ServerRig.StartAsync();
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => f.Client.RebuildAsync(new RebuildRequest(["ARRAY-NOPE"])));
        Assert.Equal("array.unknown", ex.Code);
        Assert.Contains("ARRAY-S1", ex.Message);
    }

    internal static async Task<RebuildReport> RebuildAsync(ServerRig f)
    {
        var job = await f.Client.RebuildAsync(new RebuildRequest());
        var final = ServerClient.EnsureSucceeded(await f.Client.WaitForJobAsync(job.Id, timeout: TimeSpan.FromSeconds(60)));
        return System.Text.Json.JsonSerializer.Deserialize<RebuildReport>(final.Result!.ToJsonString(), ServerClient.Json)!;
    }

    [Fact]
    public void Backup_kind_names_in_the_catalog_follow_the_record()
    {
        Assert.Equal("mirror", BackupRows.KindName(BackupKind.Mirror));
        Assert.Equal("snapshot", BackupRows.KindName(BackupKind.Snapshot));
    }
}
