using Snapcat.Array.Mirror;
using Snapcat.Core.Errors;
using Snapcat.Core.Storage;
using Snapcat.TestKit;
using static Snapcat.Array.Tests.Engines.EngineData;

namespace Snapcat.Array.Tests.Engines;

public sealed class MirrorPairTests : IAsyncLifetime
{
    private const long VolumeSize = 32L << 20;  // 512 chunks of 64 KiB
    private readonly TempDir _tmp = new("mirror");
    private FileBlockDevice _primary = null!, _secondary = null!;

    public Task InitializeAsync()
    {
        _primary = FileBlockDevice.Create(_tmp.Combine("primary.img"), VolumeSize);
        _secondary = FileBlockDevice.Create(_tmp.Combine("secondary.img"), VolumeSize);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _primary.DisposeAsync();
        await _secondary.DisposeAsync();
        _tmp.Dispose();
    }

    private MirrorPair OpenPair() => MirrorPair.Open(_tmp.Combine("pair"), _primary, _secondary);

    [Fact]
    public async Task Copy_under_load_equals_primary_at_copy_start_and_keeps_holes()
    {
        var rng = new Random(1);
        await FillHalfAsync(_primary, rng);
        await using var pair = OpenPair();
        var host = new HookedDevice(_primary, pair.PrimaryHook);
        string atStart = Hash(await ReadAllAsync(_primary));  // writers start only after this

        int writes = 0;
        using var enoughWrites = new ManualResetEventSlim();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            var wr = new Random(2);
            while (!stop.IsCancellationRequested)
            {
                long chunk = wr.NextInt64(VolumeSize / Chunk);
                // Unaligned writes across chunk borders, and trims, exercise partial-chunk copy-before-write.
                long off = chunk * Chunk + wr.Next(Chunk);
                int len = (int)Math.Min(wr.Next(1, 2 * Chunk), VolumeSize - off);
                if (wr.Next(8) == 0) await host.TrimAsync(off, len);
                else await host.WriteAsync(off, Random(len, wr));
                if (Interlocked.Increment(ref writes) >= 50) enoughWrites.Set();
            }
        });

        // The copy waits (on an event, not a timer) until the writer is well under way mid-copy.
        var result = await pair.CopyAsync(progress: (done, total) =>
        {
            if (done > 0 && done < total) Assert.True(enoughWrites.Wait(TimeSpan.FromSeconds(30)), "writer made no progress");
        });
        int writesDuringCopy = Volatile.Read(ref writes);
        stop.Cancel();
        await writer;

        Assert.True(result.Full);
        Assert.True(writesDuringCopy >= 50, $"only {writesDuringCopy} writes raced the copy");
        Assert.Equal(atStart, await HashAsync(_secondary));
        Assert.NotEqual(atStart, await HashAsync(_primary));
        Assert.Equal(MirrorStatus.Complete, pair.State.Status);
        // Half the chunks were holes at the start and are not copied as data.
        Assert.True(result.BytesCopied <= VolumeSize / 2 + 64 * Chunk, $"copied {result.BytesCopied} bytes");
        Assert.True(_secondary.AllocatedBytes < VolumeSize * 3 / 4, $"secondary allocates {_secondary.AllocatedBytes}");
    }

    [Fact]
    public async Task A_complete_copy_survives_a_power_cut_of_the_secondary()
    {
        // "Complete" promises that the secondary holds the copy durably: the pair must fsync it before
        // saying so. kill -9 cannot show a missing fsync (the page cache survives the process), so the
        // secondary loses its power right after the copy reports complete.
        var rng = new Random(7);
        for (long off = 0; off < VolumeSize; off += 1 << 20) await _secondary.WriteAsync(off, Random(1 << 20, rng));
        await _secondary.FlushAsync();
        await FillHalfAsync(_primary, rng);
        await using var secondary = new PowerLossBlockDevice(_secondary);
        string primary = await HashAsync(_primary);
        await using (var pair = MirrorPair.Open(_tmp.Combine("pair"), _primary, secondary))
        {
            var result = await pair.CopyAsync();
            Assert.True(result.Full);
            Assert.Equal(MirrorStatus.Complete, pair.State.Status);
        }

        await secondary.CrashAsync(new Random(8));

        // Data chunks and the trimmed holes (old random bytes before the copy) are both on the medium.
        Assert.True(secondary.Flushes >= 1, "the copy never flushed the secondary");
        Assert.Equal(primary, await HashAsync(_secondary));
    }

    [Fact]
    public async Task Recopy_after_changing_one_percent_copies_one_percent()
    {
        var rng = new Random(3);
        await FillHalfAsync(_primary, rng);
        await using var pair = OpenPair();
        var host = new HookedDevice(_primary, pair.PrimaryHook);
        var full = await pair.CopyAsync();
        Assert.True(full.Full);
        long before = pair.TotalBytesCopied;

        long chunks = VolumeSize / Chunk, changed = chunks / 100;  // 5 of 512
        var picked = new HashSet<long>();
        while (picked.Count < changed) picked.Add(rng.NextInt64(chunks));
        foreach (long c in picked) await host.WriteAsync(c * Chunk, Random(Chunk, rng));

        var again = await pair.CopyAsync();
        Assert.False(again.Full);
        Assert.Equal(changed, again.Chunks);
        Assert.Equal(changed * Chunk, again.BytesCopied);
        Assert.Equal(changed * Chunk, pair.TotalBytesCopied - before);
        Assert.Equal(await HashAsync(_primary), await HashAsync(_secondary));
    }

    [Fact]
    public async Task Writes_to_the_secondary_are_tracked_and_undone_by_the_next_copy()
    {
        await FillHalfAsync(_primary, new Random(4));
        await using var pair = OpenPair();
        await pair.CopyAsync();
        var onSecondary = new HookedDevice(_secondary, pair.SecondaryHook);
        await onSecondary.WriteAsync(7 * Chunk + 100, Random(10, new Random(5)));
        Assert.NotEqual(await HashAsync(_primary), await HashAsync(_secondary));

        var again = await pair.CopyAsync();
        Assert.Equal(1, again.Chunks);
        Assert.Equal(await HashAsync(_primary), await HashAsync(_secondary));
    }

    [Fact]
    public async Task Restore_copies_the_secondary_back_onto_the_primary()
    {
        await FillHalfAsync(_primary, new Random(6));
        await using var pair = OpenPair();
        var host = new HookedDevice(_primary, pair.PrimaryHook);
        await pair.CopyAsync();
        string copied = await HashAsync(_secondary);
        await host.WriteAsync(3 * Chunk, Random(3 * Chunk, new Random(7)));
        await host.TrimAsync(0, Chunk);

        var restore = await pair.RestoreAsync();
        Assert.Equal(MirrorDirection.Restore, restore.Direction);
        Assert.False(restore.Full);
        Assert.Equal(4, restore.Chunks);
        Assert.Equal(copied, await HashAsync(_primary));
        // Both sides equal again: nothing left to copy.
        Assert.Equal(0, (await pair.CopyAsync()).Chunks);
    }

    [Fact]
    public async Task Clean_close_keeps_tracking_trusted_but_an_abandoned_pair_forces_a_full_copy()
    {
        await FillHalfAsync(_primary, new Random(8));
        await using (var pair = OpenPair())
            await pair.CopyAsync();

        var reopened = OpenPair();
        Assert.False(reopened.NextCopyIsFull);
        Assert.False(reopened.FoundInterruptedCopy);
        await new HookedDevice(_primary, reopened.PrimaryHook).WriteAsync(0, Random(10, new Random(9)));
        Assert.Equal(1, (await reopened.CopyAsync()).Chunks);
        // "Crash": reopened is abandoned without DisposeAsync, so its bitmaps stay marked unclean.

        await using var afterCrash = OpenPair();
        Assert.True(afterCrash.NextCopyIsFull);
        Assert.True((await afterCrash.CopyAsync()).Full);
        Assert.Equal(await HashAsync(_primary), await HashAsync(_secondary));
    }

    [Fact]
    public async Task A_crash_mid_copy_is_reported_failed_and_the_next_copy_is_full()
    {
        await FillHalfAsync(_primary, new Random(10));
        var gate = new GatedDevice(_secondary);
        var dying = MirrorPair.Open(_tmp.Combine("pair"), _primary, gate);
        using var cts = new CancellationTokenSource();
        var running = dying.CopyAsync(ct: cts.Token);
        await Poll.UntilAsync(() => gate.Blocked, TimeSpan.FromSeconds(10), "the copy to reach the secondary");

        // The array "restarts" while the copy is stuck half way.
        var restarted = MirrorPair.Open(_tmp.Combine("pair"), _primary, _secondary);
        Assert.True(restarted.FoundInterruptedCopy);
        Assert.Equal(MirrorStatus.Failed, restarted.State.Status);
        Assert.True(restarted.NextCopyIsFull);

        cts.Cancel();
        gate.Release();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        var result = await restarted.CopyAsync(forceFull: false);
        Assert.True(result.Full);
        Assert.Equal(await HashAsync(_primary), await HashAsync(_secondary));
        await restarted.DisposeAsync();
    }

    [Fact]
    public async Task Corrupt_bitmap_file_is_untrusted()
    {
        await using (var pair = OpenPair())
            await pair.CopyAsync();
        string bm = _tmp.Combine("pair", "primary.bitmap");
        var bytes = File.ReadAllBytes(bm);
        bytes[^1] ^= 0x40;
        File.WriteAllBytes(bm, bytes);
        await using var reopened = OpenPair();
        Assert.True(reopened.NextCopyIsFull);
    }

    [Fact]
    public async Task Size_mismatch_is_a_clear_error()
    {
        await using var small = FileBlockDevice.Create(_tmp.Combine("small.img"), VolumeSize / 2);
        var ex = Assert.Throws<SnapcatException>(() => MirrorPair.Open(_tmp.Combine("bad"), _primary, small));
        Assert.Equal("mirror.size_mismatch", ex.Code);
        Assert.Equal(ErrorKind.Invalid, ex.Kind);
    }

    [Fact]
    public async Task A_second_copy_while_one_runs_is_refused()
    {
        await FillHalfAsync(_primary, new Random(11));
        var gate = new GatedDevice(_secondary);
        await using var pair = MirrorPair.Open(_tmp.Combine("pair"), _primary, gate);
        var running = pair.CopyAsync();
        await Poll.UntilAsync(() => gate.Blocked, TimeSpan.FromSeconds(10), "the copy to start");
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => pair.CopyAsync());
        Assert.Equal("mirror.copy_running", ex.Code);
        gate.Release();
        await running;
    }

    /// <summary>Holds every write to the wrapped device until released (a copy frozen mid-way).</summary>
    private sealed class GatedDevice(IBlockDevice inner) : IBlockDevice
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _blocked;

        public bool Blocked => _blocked;
        public void Release() => _open.TrySetResult();
        public long Size => inner.Size;
        public bool IsReadOnly => false;
        public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default) => inner.ReadAsync(offset, buffer, ct);

        public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, WriteFlags flags = WriteFlags.None, CancellationToken ct = default)
        {
            await Gate(ct);
            await inner.WriteAsync(offset, data, flags, ct);
        }

        public ValueTask FlushAsync(CancellationToken ct = default) => inner.FlushAsync(ct);

        public async ValueTask TrimAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default)
        {
            await Gate(ct);
            await inner.TrimAsync(offset, length, flags, ct);
        }

        public ValueTask WriteZeroesAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
            inner.WriteZeroesAsync(offset, length, flags, ct);

        public ValueTask<IReadOnlyList<BlockExtent>> GetExtentsAsync(long offset, long length, CancellationToken ct = default) =>
            inner.GetExtentsAsync(offset, length, ct);

        private async Task Gate(CancellationToken ct)
        {
            _blocked = true;
            await _open.Task;  // ignores ct on purpose: a stuck disk does not honour cancellation either
            ct.ThrowIfCancellationRequested();
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
