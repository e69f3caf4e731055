using Snapcat.Array.ChangeTracking;
using Snapcat.Array.Mirror;
using Snapcat.Array.Snapshots;
using Snapcat.Core.Storage;
using Snapcat.TestKit;
using static Snapcat.Array.Tests.Engines.EngineData;

namespace Snapcat.Array.Tests.Engines;

public sealed class ChunkTrackingTests
{
    [Fact]
    public void Bitmap_file_is_trusted_only_after_a_clean_save()
    {
        using var tmp = new TempDir("bitmap");
        string path = tmp.Combine("p.bitmap");
        var g = ChunkGeometry.For(10L << 20);  // 160 chunks: a partial last word
        var (fresh, trusted) = ChunkBitmapFile.OpenForTracking(path, g);
        Assert.False(trusted);
        Assert.Equal(g.ChunkCount, fresh.CountSet());  // unknown history: everything must be copied

        var bm = new ChunkBitmap(g.ChunkCount);
        bm.Set(3);
        bm.Set(159);
        ChunkBitmapFile.Save(path, g, bm, clean: true, generation: 7);
        var (loaded, ok) = ChunkBitmapFile.OpenForTracking(path, g);
        Assert.True(ok);
        Assert.Equal(2, loaded.CountSet());
        Assert.True(loaded.IsSet(159));

        // OpenForTracking marked the file unclean: a crash now means untrusted.
        var (_, again) = ChunkBitmapFile.OpenForTracking(path, g);
        Assert.False(again);
        // Another geometry never trusts the file.
        ChunkBitmapFile.Save(path, g, bm, clean: true, generation: 9);
        Assert.False(ChunkBitmapFile.OpenForTracking(path, ChunkGeometry.For(20L << 20)).Trusted);
    }

    [Fact]
    public void Geometry_maps_ranges_to_chunks()
    {
        var g = ChunkGeometry.For(Chunk * 3L + 100);
        Assert.Equal(4, g.ChunkCount);
        Assert.Equal(100, g.ChunkLength(3));
        Assert.Equal((0L, 1L), g.ChunksOf(Chunk - 1, 2));
        Assert.True(g.ChunksOf(5, 0).Last < g.ChunksOf(5, 0).First);
        Assert.Throws<ArgumentOutOfRangeException>(() => ChunkGeometry.For(1, 1000));
    }

    [Fact]
    public void Persisted_enum_values_are_frozen()
    {
        Assert.Equal(1, (int)ChunkKind.Data);
        Assert.Equal(2, (int)ChunkKind.Zero);
        Assert.Equal([0, 1, 2, 3], Enum.GetValues<MirrorStatus>().Select(v => (int)v));
        Assert.Equal([0, 1], Enum.GetValues<MirrorDirection>().Select(v => (int)v));
    }

    [Fact]
    public void Mirror_state_record_round_trips_and_rejects_a_flipped_byte()
    {
        var rec = new MirrorStateRecord(MirrorStatus.Complete, MirrorDirection.Restore, false,
            DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_001_000), 12345);
        var b = new byte[MirrorStateRecord.Size];
        rec.Write(b);
        Assert.Equal(rec, MirrorStateRecord.Read(b, "x"));
        b[33] ^= 1;
        var ex = Assert.Throws<Snapcat.Core.Errors.SnapcatException>(() => MirrorStateRecord.Read(b, "x"));
        Assert.Equal("mirror.state_corrupt", ex.Code);
    }

    [Fact]
    public async Task Full_copy_of_a_sparse_64_GiB_volume_copies_only_its_data()
    {
        using var tmp = new TempDir("sparse");
        const long size = 64L << 30;
        await using var primary = FileBlockDevice.Create(tmp.Combine("p.img"), size);
        await using var secondary = FileBlockDevice.Create(tmp.Combine("s.img"), size);
        var rng = new Random(1);
        // Stale data on the secondary where the primary is a hole must be punched away.
        await secondary.WriteAsync(5L << 30, Random(Chunk, rng));
        var offsets = new[] { 0L, 7L << 30, (63L << 30) + 12345 };
        foreach (long o in offsets) await primary.WriteAsync(o, Random(3000, rng));

        await using var pair = MirrorPair.Open(tmp.Combine("pair"), primary, secondary);
        var result = await pair.CopyAsync();
        Assert.True(result.Full);
        Assert.True(result.BytesCopied <= 4 * Chunk, $"copied {result.BytesCopied}");
        Assert.True(secondary.AllocatedBytes <= 8 * Chunk, $"secondary allocates {secondary.AllocatedBytes}");
        var buf = new byte[3000];
        var want = new byte[3000];
        foreach (long o in offsets)
        {
            await secondary.ReadAsync(o, buf);
            await primary.ReadAsync(o, want);
            Assert.Equal(want, buf);
        }
        await secondary.ReadAsync(5L << 30, buf);
        Assert.All(buf, b => Assert.Equal(0, b));
    }
}
