using Snapcat.Server.Catalog;
using Snapcat.Server.Tape;
using Snapcat.Contracts.Server;

namespace Snapcat.Server.Tests.Tape;

/// <summary>Catalog rebuild from tapes into a fresh SQLite catalog; damaged cartridges are reported and skipped.</summary>
public sealed class TapeRebuildTests
{
    private static object Key(BackupDataRow r) =>
        (r.Host, r.MountPoint, r.Label, r.Timestamp.ToUniversalTime(), r.Kind, r.DeviceId, r.MediaId, r.BackupId, Convert.ToBase64String(r.VolumeInfo));

    [Fact]
    public async Task Rebuild_gives_the_rows_the_copies_returned_and_a_second_run_changes_nothing()
    {
        using var fx = new TapeFixture(capacity: "1M");
        var copied = new List<BackupDataRow>();
        copied.Add((await fx.CopyAsync("nightly", 300_000, 1)).Row);
        copied.Add((await fx.CopyAsync("weekly", 1_200_000, 2, host: "web01")).Row);   // crosses into SC0002
        copied.Add((await fx.CopyAsync("monthly", 100_000, 3)).Row);

        await using var db = await CatalogDatabase.OpenAsync(fx.Dir.Combine("catalog.db"));
        var store = new BackupDataStore(db);
        var report = await new TapeRebuild(fx.Library).RebuildAsync(store);

        Assert.Empty(report.Invalid);
        Assert.Equal(copied.Select(r => r.MediaId).Order(), report.Added.Select(a => a.Where).Order());
        var rows = await store.SearchAsync(new BackupDataFilter { DeviceId = "TAPE-01" });
        Assert.Equal(copied.Select(Key).OrderBy(k => k.ToString()), rows.Select(Key).OrderBy(k => k.ToString()));
        // A tape copy stays a copy through a rebuild (issue 15.2).
        Assert.All(rows, r => Assert.Equal(BackupOrigin.Copy, r.Origin));

        var again = await new TapeRebuild(fx.Library).RebuildAsync(store);
        Assert.Empty(again.Added);
        Assert.Empty(again.Updated);
        Assert.Equal(3, again.Unchanged.Count);
        Assert.Equal(3, await store.CountAsync());
    }

    [Fact]
    public async Task Truncated_and_bit_flipped_cartridges_are_reported_and_the_others_still_import()
    {
        // One backup per cartridge: each is written in a library of its own (serial prefixes SA, SB, SC, SD) and its
        // cartridge imported here (new copies go to the first cartridge with room, so one library would fill SA0001 first).
        using var fx = new TapeFixture();
        var rows = new List<BackupDataRow>();
        foreach (var (label, seed, prefix) in new[] { ("truncated", 1, "SA"), ("mgmtflip", 2, "SB"), ("labelflip", 3, "SC"), ("healthy", 4, "SD") })
        {
            using var site = new TapeLibrary(new TapeLibraryConfig { LibraryId = "TAPE-01", Directory = fx.Dir.Combine("site-" + prefix), SerialPrefix = prefix });
            var source = TapeFixture.Source("db01", label, seed);
            var data = TapeFixture.RandomData(250_000, seed);
            rows.Add(await new TapeCopy(site).CopyToTapeAsync(new MemoryStream(data), data.Length, source, source.VolumeInfo));
            await fx.Library.ImportAsync(site.PathOf(prefix + "0001"));
        }
        Assert.Equal(["SA0001/0001", "SB0001/0001", "SC0001/0001", "SD0001/0001"], rows.Select(r => r.MediaId));

        string sc1 = fx.Library.PathOf("SA0001"), sc2 = fx.Library.PathOf("SB0001"), sc3 = fx.Library.PathOf("SC0001");
        using (var f = new FileStream(sc1, FileMode.Open)) f.SetLength(f.Length / 2);
        // A flipped byte in the stored catalog row's label: still JSON, but it disagrees with the volume information.
        TapeFixture.FlipByte(sc2, TapeFixture.IndexOf(sc2, "\"label\": \"mgmtflip\""u8) + 11);
        // A flipped byte in the file identifier of the first EOF1 label.
        TapeFixture.FlipByte(sc3, TapeFixture.IndexOf(sc3, "EOF1SC."u8) + 5);

        await using var db = await CatalogDatabase.OpenAsync(fx.Dir.Combine("catalog.db"));
        var store = new BackupDataStore(db);
        var report = await new TapeRebuild(fx.Library).RebuildAsync(store);

        Assert.True(report.Added.Count == 1 && report.Added[0].Where == "SD0001/0001", string.Join("\n", report.Invalid));
        Assert.Equal(Key(rows[3]), Key(Assert.Single(await store.SearchAsync(new BackupDataFilter()))));
        var invalid = report.Invalid.ToDictionary(i => i.Where, i => i.Reason!);
        Assert.Equal(3, invalid.Count);
        Assert.Contains("SA0001 skipped", invalid["SA0001"]);
        Assert.Contains("tape.", invalid["SA0001"]);
        Assert.Contains("disagree", invalid["SB0001/0001"]);
        Assert.Contains("label", invalid["SB0001/0001"]);
        Assert.Contains("SC0001 skipped", invalid["SC0001"]);
        Assert.Contains("label byte", invalid["SC0001"]);   // the flipped byte is no longer an ANSI label character
        Assert.Matches(@"\(tape\.[a-z0-9_.]+\)$", invalid["SC0001"]);

        var list = await fx.Library.ListAsync();
        Assert.Equal(["damaged", "appendable", "damaged", "appendable"], list.Select(c => c.State));
        Assert.All(list, c => Assert.Empty(c.TailCuts!)); // a scan (rebuild, listing) never cuts anything
        Assert.NotNull(list[0].Error);
    }
}
