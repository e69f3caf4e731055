using Snapcat.Array.Snapshots;
using Snapcat.Core.Errors;
using Snapcat.Core.Storage;
using Snapcat.TestKit;
using static Snapcat.Array.Tests.Engines.EngineData;

namespace Snapcat.Array.Tests.Engines;

public sealed class SnapshotEngineTests : IAsyncLifetime
{
    private const long VolumeSize = 16L << 20;  // 256 chunks
    private const long Chunks = VolumeSize / Chunk;
    private readonly TempDir _tmp = new("snap");
    private FileBlockDevice _source = null!;

    public Task InitializeAsync()
    {
        _source = FileBlockDevice.Create(_tmp.Combine("source.img"), VolumeSize);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _source.DisposeAsync();
        _tmp.Dispose();
    }

    private string SnapDir => _tmp.Combine("snaps");

    /// <summary>Random writes, partial and chunk-crossing writes, trims and zeroes through the hook.</summary>
    private static async Task ScribbleAsync(IBlockDevice host, Random rng, int count)
    {
        for (int i = 0; i < count; i++)
        {
            long off = rng.NextInt64(VolumeSize - 1);
            int len = (int)Math.Min(rng.Next(1, 3 * Chunk), VolumeSize - off);
            switch (rng.Next(10))
            {
                case 0: await host.TrimAsync(off, len); break;
                case 1: await host.WriteZeroesAsync(off, len); break;
                default: await host.WriteAsync(off, Random(len, rng)); break;
            }
        }
    }

    /// <summary>Ten generations with writes between them; returns each generation's expected hash.</summary>
    private static async Task<List<string>> TenGenerationsAsync(SnapshotEngine engine, IBlockDevice host, Random rng)
    {
        var expected = new List<string>();
        for (int g = 0; g < 10; g++)
        {
            await ScribbleAsync(host, rng, 20);
            expected.Add(await HashAsync(host));
            await engine.CreateAsync(100 + g);
        }
        await ScribbleAsync(host, rng, 30);
        return expected;
    }

    private static async Task AssertGenerationsAsync(SnapshotEngine engine, IReadOnlyDictionary<long, string> expected)
    {
        foreach (var (id, hash) in expected)
        {
            await using var dev = engine.OpenDevice(id);
            Assert.True(hash == await HashAsync(dev), $"snapshot {id} does not read back its generation");
        }
    }

    [Fact]
    public async Task Ten_generations_each_read_back_exactly()
    {
        await using var engine = SnapshotEngine.Open(SnapDir, _source);
        var host = new HookedDevice(_source, engine);
        var expected = await TenGenerationsAsync(engine, host, new Random(1));
        await AssertGenerationsAsync(engine, expected.Select((h, g) => (100L + g, h)).ToDictionary());
        Assert.Equal(Enumerable.Range(100, 10).Select(i => (long)i), engine.Snapshots.Select(s => s.Id));
    }

    [Fact]
    public async Task A_write_preserves_one_chunk_however_many_snapshots_exist()
    {
        await FillHalfAsync(_source, new Random(2));
        await using var engine = SnapshotEngine.Open(SnapDir, _source);
        var host = new HookedDevice(_source, engine);
        for (int i = 0; i < 10; i++) await engine.CreateAsync(i);
        await host.WriteAsync(4 * Chunk + 10, Random(100, new Random(3)));
        Assert.Equal(1, engine.PreservedChunks);
        await host.WriteAsync(4 * Chunk + 500, Random(100, new Random(4)));
        Assert.Equal(1, engine.PreservedChunks);  // already preserved in the newest
    }

    [Fact]
    public async Task Deleting_a_middle_snapshot_leaves_the_others_unchanged_also_after_reopen()
    {
        var engine = SnapshotEngine.Open(SnapDir, _source);
        var host = new HookedDevice(_source, engine);
        var expected = (await TenGenerationsAsync(engine, host, new Random(5))).Select((h, g) => (Id: 100L + g, h)).ToDictionary();

        await engine.DeleteAsync(104);
        expected.Remove(104);
        await AssertGenerationsAsync(engine, expected);
        await engine.DeleteAsync(109);  // the newest: the next writes go to 108
        expected.Remove(109);
        await engine.DeleteAsync(100);  // the oldest: nothing to hand over
        expected.Remove(100);
        await ScribbleAsync(host, new Random(6), 20);
        await AssertGenerationsAsync(engine, expected);
        Assert.False(File.Exists(Path.Combine(SnapDir, "snap-104.data")));
        await engine.DisposeAsync();

        await using var reopened = SnapshotEngine.Open(SnapDir, _source);
        Assert.Equal(expected.Keys.Order(), reopened.Snapshots.Select(s => s.Id));
        await AssertGenerationsAsync(reopened, expected);
        var ex = Assert.Throws<SnapcatException>(() => reopened.OpenDevice(104));
        Assert.Equal("snapshot.not_found", ex.Code);
    }

    [Fact]
    public async Task Rollback_restores_the_source_and_keeps_newer_snapshots()
    {
        await using var engine = SnapshotEngine.Open(SnapDir, _source);
        var host = new HookedDevice(_source, engine);
        var expected = await TenGenerationsAsync(engine, host, new Random(7));

        long written = await engine.RollbackAsync(103, host);
        Assert.True(written > 0 && written < Chunks, $"rollback wrote {written} chunks");
        Assert.Equal(expected[3], await HashAsync(_source));
        await AssertGenerationsAsync(engine, expected.Select((h, g) => (100L + g, h)).ToDictionary());

        await ScribbleAsync(host, new Random(8), 10);
        await engine.RollbackAsync(109, host);
        Assert.Equal(expected[9], await HashAsync(_source));
    }

    [Fact]
    public async Task Snapshots_survive_an_abandoned_engine_with_a_torn_index_tail()
    {
        var engine = SnapshotEngine.Open(SnapDir, _source);
        var host = new HookedDevice(_source, engine);
        var rng = new Random(9);
        var expected = new Dictionary<long, string>();
        for (int g = 0; g < 5; g++)
        {
            // Eight concurrent writers: many preservations share one group commit.
            await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(() => ScribbleAsync(host, new Random(g * 8 + w), 15))));
            expected[g] = await HashAsync(_source);
            await engine.CreateAsync(g);
        }
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(() => ScribbleAsync(host, new Random(100 + w), 15))));
        Assert.True(engine.CommitGroups < engine.PreservedChunks, $"{engine.CommitGroups} commits for {engine.PreservedChunks} preservations");
        // Crash: the engine is abandoned, not disposed. What a kill -9 mid-preservation leaves behind:
        // (a) a record half appended to the newest index, (b) old data written for a record that never
        // made it, (c) the files of a snapshot whose create never reached the manifest.
        string idx = Path.Combine(SnapDir, "snap-4.idx");
        long intact = new FileInfo(idx).Length;
        using (var f = new FileStream(idx, FileMode.Append)) f.Write(Random(13, rng));
        long orphanChunk = Enumerable.Range(0, (int)Chunks).First(c => !engine.IsPreservedByAny(c));
        using (var f = new FileStream(Path.Combine(SnapDir, "snap-4.data"), FileMode.Open)) { f.Position = orphanChunk * Chunk; f.Write(Random(Chunk, rng)); }
        File.WriteAllBytes(Path.Combine(SnapDir, "snap-77.idx"), []);

        await using var reopened = SnapshotEngine.Open(SnapDir, _source);
        Assert.Equal(13, reopened.Recovery.TruncatedIndexBytes);
        Assert.Equal(intact, new FileInfo(idx).Length);
        Assert.Contains("snap-77.idx", reopened.Recovery.RemovedOrphans);
        Assert.Empty(reopened.Recovery.CorruptChunks);
        await AssertGenerationsAsync(reopened, expected);

        // Writing on after recovery appends behind the last intact record.
        var host2 = new HookedDevice(_source, reopened);
        await ScribbleAsync(host2, rng, 20);
        await AssertGenerationsAsync(reopened, expected);
    }

    [Fact]
    public async Task A_flipped_preserved_byte_is_reported_not_served()
    {
        await FillHalfAsync(_source, new Random(10));
        var engine = SnapshotEngine.Open(SnapDir, _source);
        await engine.CreateAsync(1);
        await new HookedDevice(_source, engine).WriteAsync(0, Random(Chunk, new Random(11)));
        await engine.DisposeAsync();
        using (var f = new FileStream(Path.Combine(SnapDir, "snap-1.data"), FileMode.Open)) { f.Position = 5; f.WriteByte(0xAA); }

        await using var reopened = SnapshotEngine.Open(SnapDir, _source);
        Assert.Equal([(1L, 0L)], reopened.Recovery.CorruptChunks);
        await using var dev = reopened.OpenDevice(1);
        await Assert.ThrowsAsync<IOException>(async () => await dev.ReadAsync(0, new byte[512]));
    }

    [Fact]
    public async Task A_snapshot_read_racing_a_source_write_sees_the_old_bytes()
    {
        await using var engine = SnapshotEngine.Open(SnapDir, _source);
        var host = new HookedDevice(_source, engine);
        var rng = new Random(12);
        for (int i = 0; i < 40; i++)
        {
            var old = Random(Chunk, rng);
            await _source.WriteAsync(9 * Chunk, old);
            await engine.CreateAsync(i);
            await using var dev = engine.OpenDevice(i);
            var buf = new byte[Chunk];
            var read = Task.Run(async () => { await dev.ReadAsync(9 * Chunk, buf); });
            var write = Task.Run(async () => await host.WriteAsync(9 * Chunk, Random(Chunk, new Random(i))));
            await Task.WhenAll(read, write);
            Assert.True(old.AsSpan().SequenceEqual(buf), $"round {i}: the snapshot read new bytes");
        }
    }

    [Fact]
    public async Task Extents_show_holes_and_preserved_data()
    {
        await _source.WriteAsync(2 * Chunk, Random(Chunk, new Random(13)));
        await using var engine = SnapshotEngine.Open(SnapDir, _source);
        var host = new HookedDevice(_source, engine);
        await engine.CreateAsync(1);
        await host.TrimAsync(2 * Chunk, Chunk);               // data chunk preserved as data
        await host.WriteAsync(5 * Chunk, Random(10, new Random(14)));  // hole chunk preserved as zero
        await using var dev = engine.OpenDevice(1);
        var ext = await dev.GetExtentsAsync(0, VolumeSize);
        Assert.Equal(0, ext[0].Offset);
        Assert.Equal(VolumeSize, ext.Sum(e => e.Length));
        Assert.Equal([new BlockExtent(2 * Chunk, Chunk, ExtentFlags.Data)], ext.Where(e => !e.IsHole));
        // One data chunk stored; the zero chunk is only an index record.
        long allocated = FileAllocation.AllocatedBytes(Path.Combine(SnapDir, "snap-1.data"));
        Assert.InRange(allocated, Chunk, 2 * Chunk);
    }

    [Fact]
    public async Task Bad_requests_get_clear_errors()
    {
        await using var engine = SnapshotEngine.Open(SnapDir, _source);
        await engine.CreateAsync(1);
        Assert.Equal("snapshot.exists", (await Assert.ThrowsAsync<SnapcatException>(() => engine.CreateAsync(1))).Code);
        Assert.Equal("snapshot.not_found", (await Assert.ThrowsAsync<SnapcatException>(() => engine.DeleteAsync(2))).Code);
        await using var dev = engine.OpenDevice(1);
        Assert.True(dev.IsReadOnly);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(async () => await dev.WriteAsync(0, new byte[1]));
        await engine.DisposeAsync();

        await using var other = FileBlockDevice.Create(_tmp.Combine("other.img"), VolumeSize * 2);
        var ex = Assert.Throws<SnapcatException>(() => SnapshotEngine.Open(SnapDir, other));
        Assert.Equal("snapshot.geometry_mismatch", ex.Code);
    }
}
