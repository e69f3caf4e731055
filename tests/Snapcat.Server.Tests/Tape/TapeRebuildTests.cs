using System.Text;
using Snapcat.Server.Catalog;
using Snapcat.Server.Tape;

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
        using var fx = new TapeFixture();
        // One backup per cartridge: labelling a new cartridge makes it the one appended to.
        var rows = new List<BackupDataRow>();
        foreach (var (label, seed) in new[] { ("truncated", 1), ("mgmtflip", 2), ("labelflip", 3), ("healthy", 4) })
        {
            if (seed > 1) await fx.Library.LabelAsync(1);
            rows.Add((await fx.CopyAsync(label, 250_000, seed)).Row);
        }
        Assert.Equal(["SC0001/0001", "SC0002/0001", "SC0003/0001", "SC0004/0001"], rows.Select(r => r.MediaId));

        string sc1 = fx.Library.PathOf("SC0001"), sc2 = fx.Library.PathOf("SC0002"), sc3 = fx.Library.PathOf("SC0003");
        using (var f = new FileStream(sc1, FileMode.Open)) f.SetLength(f.Length / 2);
        // A flipped byte in the stored catalog row's label: still JSON, but it disagrees with the volume information.
        TapeFixture.FlipByte(sc2, TapeFixture.IndexOf(sc2, "\"label\": \"mgmtflip\""u8) + 11);
        // A flipped byte in the file identifier of the first EOF1 label.
        TapeFixture.FlipByte(sc3, TapeFixture.IndexOf(sc3, "EOF1SC."u8) + 5);

        await using var db = await CatalogDatabase.OpenAsync(fx.Dir.Combine("catalog.db"));
        var store = new BackupDataStore(db);
        var report = await new TapeRebuild(fx.Library).RebuildAsync(store);

        Assert.True(report.Added.Count == 1 && report.Added[0].Where == "SC0004/0001", string.Join("\n", report.Invalid));
        Assert.Equal(Key(rows[3]), Key(Assert.Single(await store.SearchAsync(new BackupDataFilter()))));
        var invalid = report.Invalid.ToDictionary(i => i.Where, i => i.Reason!);
        Assert.Equal(3, invalid.Count);
        Assert.Contains("SC0001 skipped", invalid["SC0001"]);
        Assert.Contains("tape.", invalid["SC0001"]);
        Assert.Contains("disagree", invalid["SC0002/0001"]);
        Assert.Contains("label", invalid["SC0002/0001"]);
        Assert.Contains("SC0003 skipped", invalid["SC0003"]);
        Assert.Contains("label byte", invalid["SC0003"]);   // the flipped byte is no longer an ANSI label character
        Assert.Matches(@"\(tape\.[a-z0-9_.]+\)$", invalid["SC0003"]);

        var list = await fx.Library.ListAsync();
        Assert.Equal(["damaged", "appendable", "damaged", "appendable"], list.Select(c => c.State));
        Assert.NotNull(list[0].Error);
    }
}
