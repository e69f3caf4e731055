using Snapcat.Core.Errors;
using Snapcat.Server.Tape;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Tape;

/// <summary>Labelling, import, export, slots, and the hercules tools on a cartridge written by TapeCopy.</summary>
public sealed class TapeLibraryTests
{
    [Fact]
    public async Task Hetmap_lists_the_labels_of_a_cartridge_written_by_tape_copy()
    {
        if (!Tool.Exists("hetmap"))
            Assert.Fail("hetmap (package hercules) is required");
        using var fx = new TapeFixture();
        var (row, _) = await fx.CopyAsync("nightly", 200_000, 1);
        string id = row.BackupId.ToString("N")[..8].ToUpperInvariant();
        // hetmap opens the image read-write: run it on a copy.
        string copy = fx.Dir.Combine("copy.aws");
        File.Copy(fx.Library.PathOf("SC0001"), copy);

        var d = await Tool.RunAsync("hetmap", ["-d", copy]);
        Assert.Equal(0, d.ExitCode);
        string text = (d.Stdout + d.Stderr).Replace("\r", "");
        Assert.DoesNotContain("het_read() returned", text);
        Assert.Contains("vol=SC0001             owner=SNAPCAT", text);
        Assert.Contains($"dsn=SC.{id}.MGMT", text);
        Assert.Contains($"dsn=SC.{id}.DATA", text);
        Assert.Contains($"dsn=SC.{id}.TRLR", text);
        Assert.Contains("blocks=4\njob=                   recfm=U         lrecl=0         blksize=61440", text);
    }

    [Fact]
    public async Task Label_import_and_export_move_cartridges_between_libraries()
    {
        using var site1 = new TapeFixture();
        using var site2 = new TapeFixture();
        Assert.Equal(["SC0001", "SC0002", "SC0003"], await site1.Library.LabelAsync(3));
        var (row, data) = await site1.CopyAsync("nightly", 300_000, 1);   // the first labelled cartridge with room
        Assert.Equal("SC0001/0001", row.MediaId);
        Assert.Equal(["appendable", "empty", "empty"], (await site1.Library.ListAsync()).Select(c => c.State));

        string outDir = site1.Dir.Combine("out");
        string exported = await site1.Library.ExportAsync("SC0001", outDir, remove: true);
        Assert.Equal(["SC0002", "SC0003"], (await site1.Library.ListAsync()).Select(c => c.VolumeSerial));
        // Backup data leaves the library private: the copy is 0600, a directory the export made 0700.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(exported));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(outDir));
        Assert.Empty(Directory.GetFiles(outDir, "*.tmp"));

        var imported = await site2.Library.ImportAsync(exported);
        Assert.Equal("SC0001", imported.VolumeSerial);
        var backup = Assert.Single(imported.Backups);
        Assert.Equal(("nightly", "SC0001/0001", (string?)null), (backup.Label, backup.MediaId, backup.Problem));
        Assert.Equal(data, await site2.RestoreAsync("SC0001/0001"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(site2.Library.PathOf("SC0001")));
        Assert.Equal(["SC0002"], await site2.Library.LabelAsync(1));

        var dup = await Assert.ThrowsAsync<SnapcatException>(() => site2.Library.ImportAsync(exported));
        Assert.Equal("tape.import.duplicate", dup.Code);
        var exists = await Assert.ThrowsAsync<SnapcatException>(() => site2.Library.ExportAsync("SC0001", outDir, remove: false));
        Assert.Equal("tape.export.exists", exists.Code);
    }

    [Fact]
    public async Task Import_refuses_garbage_and_truncated_files()
    {
        using var fx = new TapeFixture();
        string garbage = fx.Dir.Combine("garbage.aws");
        File.WriteAllBytes(garbage, TapeFixture.RandomData(100_000, 3));
        var e = await Assert.ThrowsAsync<SnapcatException>(() => fx.Library.ImportAsync(garbage));
        Assert.Equal("tape.import.invalid", e.Code);
        Assert.Contains("garbage.aws", e.Message);

        using var other = new TapeFixture();
        await other.CopyAsync("x", 200_000, 4);
        string cut = fx.Dir.Combine("cut.aws");
        var bytes = File.ReadAllBytes(other.Library.PathOf("SC0001"));
        File.WriteAllBytes(cut, bytes[..(bytes.Length - 100)]);
        e = await Assert.ThrowsAsync<SnapcatException>(() => fx.Library.ImportAsync(cut));
        Assert.Equal("tape.import.invalid", e.Code);
        Assert.Empty(await fx.Library.ListAsync());
        Assert.Empty(Directory.GetFiles(fx.Dir.Combine("lib")));
    }

    [Fact]
    public async Task A_full_library_refuses_new_cartridges()
    {
        using var fx = new TapeFixture(capacity: "1M", slots: 2);
        await fx.Library.LabelAsync(2);
        var e = await Assert.ThrowsAsync<SnapcatException>(() => fx.Library.LabelAsync(1));
        Assert.Equal("tape.library_full", e.Code);
        // A copy that would need a third cartridge fails instead of overflowing the slots, and takes back what it
        // wrote on the two labelled ones (it used both: they were empty and had room).
        var source = TapeFixture.Source("db01", "big", 1);
        e = await Assert.ThrowsAsync<SnapcatException>(() =>
            fx.Copy.CopyToTapeAsync(new MemoryStream(new byte[2_500_000]), 2_500_000, source, source.VolumeInfo));
        Assert.Equal("tape.library_full", e.Code);
        var list = await fx.Library.ListAsync();
        Assert.Equal(["empty", "empty"], list.Select(c => c.State));
        Assert.All(list, c => Assert.Equal(98, c.ImageBytes)); // VOL1 TM TM

        // 1.5 MB fits the two labelled cartridges: SC0001 first, continued on SC0002.
        var (row, data) = await fx.CopyAsync("fits", 1_500_000, 2);
        Assert.Equal("SC0001/0001", row.MediaId);
        Assert.Equal(data, await fx.RestoreAsync(row.MediaId));
        Assert.Equal(["SC0001", "SC0002"], Assert.Single((await fx.Library.ListAsync())[0].Backups).Volumes);
    }

    [Fact]
    public void Bad_configuration_is_refused_with_the_reason()
    {
        var e = Assert.Throws<SnapcatException>(() => new TapeLibraryConfig { LibraryId = "T", Directory = "/tmp/x", Capacity = "12Q" }.Validate());
        Assert.Equal("tape.config", e.Code);
        e = Assert.Throws<SnapcatException>(() => new TapeLibraryConfig { LibraryId = "T", Directory = "/tmp/x", Drives = 0 }.Validate());
        Assert.Contains("drive", e.Message);
    }
}
