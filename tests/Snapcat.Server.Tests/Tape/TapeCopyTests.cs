using Snapcat.Core.Errors;
using Snapcat.Tape;
using Snapcat.Contracts.Server;

namespace Snapcat.Server.Tests.Tape;

/// <summary>Copy to tape and restore from tape on real cartridge files (FIG. 16).</summary>
public sealed class TapeCopyTests
{
    [Fact]
    public async Task Copy_then_restore_is_byte_exact_and_the_row_describes_the_tape_copy()
    {
        using var fx = new TapeFixture();
        var source = TapeFixture.Source("db01", "nightly", 12);
        // 3 MiB and a bit: 52 full 60 KiB blocks and a partial last block.
        var data = TapeFixture.RandomData(3 * 1024 * 1024 + 12_345, 1);
        var seen = new List<long>();
        var row = await fx.Copy.CopyToTapeAsync(new MemoryStream(data), data.Length, source, source.VolumeInfo, new SyncProgress(seen));

        Assert.Equal("TAPE-01", row.DeviceId);
        Assert.Equal("SC0001/0001", row.MediaId);
        Assert.Equal(BackupOrigin.Copy, row.Origin);
        Assert.Equal((source.Host, source.MountPoint, source.Label, source.Timestamp, source.Kind, source.BackupId),
            (row.Host, row.MountPoint, row.Label, row.Timestamp, row.Kind, row.BackupId));
        Assert.Equal(source.VolumeInfo, row.VolumeInfo);
        Assert.Equal(data.Length, seen[^1]);

        Assert.Equal(data, await fx.RestoreAsync(row.MediaId));

        // A second copy appends to the same cartridge: MGMT DATA TRLR are files 4, 5, 6.
        var (second, data2) = await fx.CopyAsync("weekly", 100_000, 2);
        Assert.Equal("SC0001/0004", second.MediaId);
        Assert.Equal(data2, await fx.RestoreAsync(second.MediaId));
    }

    [Fact]
    public async Task A_copy_larger_than_the_space_left_continues_on_the_next_cartridge()
    {
        using var fx = new TapeFixture(capacity: "1M");
        var (first, data1) = await fx.CopyAsync("small", 400_000, 3);
        var (big, data2) = await fx.CopyAsync("big", 1_800_000, 4);   // needs the rest of SC0001, SC0002 and part of SC0003

        Assert.Equal("SC0001/0001", first.MediaId);
        Assert.Equal("SC0001/0004", big.MediaId);
        Assert.Equal(data1, await fx.RestoreAsync(first.MediaId));
        Assert.Equal(data2, await fx.RestoreAsync(big.MediaId));

        var list = await fx.Library.ListAsync();
        Assert.Equal(["SC0001", "SC0002", "SC0003"], list.Select(c => c.VolumeSerial));
        Assert.Equal(["closed", "closed", "appendable"], list.Select(c => c.State));
        var entry = Assert.Single(list[0].Backups, b => b.MediaId == big.MediaId);
        Assert.Equal(["SC0001", "SC0002", "SC0003"], entry.Volumes);
        Assert.Null(entry.Problem);
        Assert.Equal("big", entry.Label);
        Assert.True(list[2].FreeBytes > 0 && list[2].FreeBytes < 1 << 20);

        var verified = await fx.Library.VerifyAsync(big.MediaId);
        Assert.Equal(data2.Length, verified.DataBytes);
    }

    [Fact]
    public async Task Verify_and_restore_detect_a_flipped_data_byte()
    {
        using var fx = new TapeFixture();
        var (row, data) = await fx.CopyAsync("nightly", 500_000, 5);
        string path = fx.Library.PathOf("SC0001");
        TapeFixture.FlipByte(path, TapeFixture.IndexOf(path, data.AsSpan(300_000, 32)));

        // The content digest the trailer carries is checked before the CRC-32C (issue 13).
        var e = await Assert.ThrowsAsync<TapeFormatException>(() => fx.Library.VerifyAsync(row.MediaId));
        Assert.Equal("digest.mismatch", e.Code);
        var r = await Assert.ThrowsAsync<TapeFormatException>(() => fx.RestoreAsync(row.MediaId));
        Assert.Equal("digest.mismatch", r.Code);
    }

    [Fact]
    public async Task Copy_and_verify_returns_the_row_only_after_reading_the_copy_back()
    {
        using var fx = new TapeFixture();
        var source = TapeFixture.Source("web01", "move", 9);
        var data = TapeFixture.RandomData(200_000, 9);
        var row = await fx.Copy.CopyAndVerifyAsync(new MemoryStream(data), data.Length, source, source.VolumeInfo);
        Assert.Equal("SC0001/0001", row.MediaId);
        Assert.Equal(data, await fx.RestoreAsync(row.MediaId));
    }

    [Fact]
    public async Task A_source_stream_that_ends_early_fails_and_its_files_are_cut_off_the_cartridge()
    {
        using var fx = new TapeFixture();
        var (good, data) = await fx.CopyAsync("good", 100_000, 6);
        long before = new FileInfo(fx.Library.PathOf("SC0001")).Length;
        var source = TapeFixture.Source("db01", "short", 7);
        var e = await Assert.ThrowsAsync<SnapcatException>(() =>
            fx.Copy.CopyToTapeAsync(new MemoryStream(new byte[150_000]), 400_000, source, source.VolumeInfo));
        Assert.Equal("tape.copy.short_source", e.Code);
        // The failed copy took its MGMT and partial DATA back: the cartridge is byte for byte what it was.
        Assert.Equal(before, new FileInfo(fx.Library.PathOf("SC0001")).Length);

        var (after, data2) = await fx.CopyAsync("after", 70_000, 8);
        Assert.Equal("SC0001/0004", after.MediaId);
        Assert.Equal(data, await fx.RestoreAsync(good.MediaId));
        Assert.Equal(data2, await fx.RestoreAsync(after.MediaId));
        var backups = (await fx.Library.ListAsync()).Single().Backups;
        Assert.Equal(["good", "after"], backups.Select(b => b.Label));
        Assert.All(backups, b => Assert.Null(b.Problem));
    }

    [Fact]
    public async Task Bad_input_is_refused_before_anything_is_written()
    {
        using var fx = new TapeFixture();
        var source = TapeFixture.Source("db01", "x", 1);
        var other = TapeFixture.Source("db01", "y", 2);
        var e = await Assert.ThrowsAsync<SnapcatException>(() => fx.Copy.CopyToTapeAsync(new MemoryStream(new byte[10]), 10, source, other.VolumeInfo));
        Assert.Equal("tape.copy.volume_info", e.Code);
        e = await Assert.ThrowsAsync<SnapcatException>(() => fx.Copy.CopyToTapeAsync(new MemoryStream(new byte[10]), 10, source, new byte[512]));
        Assert.Equal("tape.copy.volume_info", e.Code);
        e = await Assert.ThrowsAsync<SnapcatException>(() => fx.RestoreAsync("nonsense"));
        Assert.Equal("tape.media_id", e.Code);
        Assert.Empty(await fx.Library.ListAsync());
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; the test wants every report, in order.</summary>
    private sealed class SyncProgress(List<long> seen) : IProgress<long>
    {
        public void Report(long value) { lock (seen) seen.Add(value); }
    }
}
