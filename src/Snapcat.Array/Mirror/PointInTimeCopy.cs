using System.Buffers;
using Snapcat.Array.ChangeTracking;
using Snapcat.Array.Integrity;
using Snapcat.Core.Integrity;

namespace Snapcat.Array.Mirror;

/// <summary>
/// One running copy of a set of chunks from a source to a destination device, such that at the end
/// the destination holds what the source held when the copy started (data mirror function 362):
/// a background pass copies the set in 64-chunk windows, and <see cref="CopyBeforeWriteAsync"/>,
/// called by the source's hook with the written chunks locked, first copies any chunk of the set
/// that is not yet copied. Both sides hold the chunks' locks while copying and check the "copied"
/// bit under them, so each chunk is copied exactly once, with its start-of-copy bytes.
///
/// Pipelining within a window: the background pass reads chunk N+1 from the source while chunk N is
/// written to the destination (at most <see cref="WritesInFlight"/> chunks read but not yet written,
/// in pooled buffers). This keeps the point in time: every read and every write of a window happens
/// while the pass holds the whole window's locks (the window is drained before its locks are
/// released), so no host write can change a source chunk between its read and the end of its write,
/// and a host write to the window waits and then finds the chunk marked copied. The destination still
/// sees its operations (trim or write per extent, chunk after chunk) in the same order as before; only
/// the source reads run ahead.
///
/// Holes are not copied as data: ranges that are holes in the source are trimmed (punched) on the
/// destination, so it reads zero there without allocating.
///
/// No fsync per chunk: a copy that does not finish is a failed copy whatever its destination holds;
/// the owner fsyncs the destination once at the end, before declaring it complete.
///
/// Content digest: with a <paramref name="digest"/> builder (64 KiB chunks, the digest's own), every chunk copied is
/// hashed from the buffer it was written from (holes as zeroes), so the copy's digest costs no second read.
/// </summary>
internal sealed class PointInTimeCopy(IBlockDevice source, IBlockDevice destination, ChunkGeometry geometry, ChunkBitmap work, ChunkLockTable locks,
    ContentDigestBuilder? digest = null)
{
    /// <summary>
    /// Chunks read and waiting for (or in) their destination write while the next one is read: two
    /// keep the source and the destination busy at once; more only pins memory (3 × 64 KiB buffers).
    /// </summary>
    private const int WritesInFlight = 2;

    private readonly ChunkBitmap _copied = new(geometry.ChunkCount);
    private long _bytesCopied, _bytesTrimmed, _chunksDone;

    public ChunkBitmap Work => work;
    public long ChunksTotal { get; } = work.CountSet();
    public long ChunksDone => Interlocked.Read(ref _chunksDone);
    public long BytesCopied => Interlocked.Read(ref _bytesCopied);
    public long BytesTrimmed => Interlocked.Read(ref _bytesTrimmed);

    /// <summary>Source hook path: chunks [first, last] are locked by the caller and about to change.</summary>
    public async ValueTask CopyBeforeWriteAsync(long first, long last, CancellationToken ct)
    {
        byte[]? buf = null;
        try
        {
            for (long c = first; c <= last; c++)
            {
                if (!work.IsSet(c) || _copied.IsSet(c)) continue;
                long off = geometry.ChunkOffset(c);
                int len = geometry.ChunkLength(c);
                var extents = await ExtentsAsync(off, len, ct).ConfigureAwait(false);
                // The host's write waits for this copy, so no pipelining here: read, then write.
                buf ??= ArrayPool<byte>.Shared.Rent(geometry.ChunkSize);
                await ReadChunkAsync(c, extents, buf, ct).ConfigureAwait(false);
                await WriteChunkAsync(c, extents, buf, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            if (buf is not null) ArrayPool<byte>.Shared.Return(buf);
        }
    }

    public async Task RunAsync(Action<long, long>? progress, CancellationToken ct)
    {
        var buffers = new Stack<byte[]>(WritesInFlight + 1);
        for (int i = 0; i <= WritesInFlight; i++) buffers.Push(ArrayPool<byte>.Shared.Rent(geometry.ChunkSize));
        try
        {
            for (int w = 0; w < work.WordCount; w++)
            {
                ct.ThrowIfCancellationRequested();
                if (work.Word(w) == 0) continue;
                long first = (long)w * 64;
                long last = Math.Min(first + 63, geometry.ChunkCount - 1);
                using (await locks.LockAsync(first, last, ct).ConfigureAwait(false))
                {
                    long off = geometry.ChunkOffset(first);
                    long len = geometry.ChunkOffset(last) + geometry.ChunkLength(last) - off;
                    // One extent query per window; under the window's locks the source cannot change.
                    var extents = await ExtentsAsync(off, len, ct).ConfigureAwait(false);
                    if (extents.TrueForAll(e => e.IsHole) && work.Word(w) == WindowMask(last - first + 1) && NoneCopied(first, last))
                    {
                        // A whole window of hole: one punch instead of 64 (keeps sparse terabytes quick).
                        await destination.TrimAsync(off, len, WriteFlags.None, ct).ConfigureAwait(false);
                        Interlocked.Add(ref _bytesTrimmed, len);
                        for (long c = first; c <= last; c++)
                        {
                            digest?.SetChunkHash(c, DigestReader.ZeroHash(geometry.ChunkLength(c)));
                            _copied.Set(c);
                        }
                        Interlocked.Add(ref _chunksDone, last - first + 1);
                    }
                    else
                    {
                        await CopyWindowAsync(first, last, extents, buffers, ct).ConfigureAwait(false);
                    }
                }
                progress?.Invoke(ChunksDone * geometry.ChunkSize, ChunksTotal * geometry.ChunkSize);
            }
        }
        finally
        {
            // CopyWindowAsync returns every buffer before it returns or throws.
            foreach (var b in buffers) ArrayPool<byte>.Shared.Return(b);
        }
    }

    /// <summary>
    /// The window's chunks of the set that are not yet copied, the source read of one overlapping the
    /// destination write of the one before. Writes run one after another on the pool, in chunk order;
    /// all of them have ended (and every buffer is back in <paramref name="buffers"/>) when this
    /// returns or throws, because the caller releases the window's locks right after.
    /// </summary>
    private async Task CopyWindowAsync(long first, long last, List<BlockExtent> extents, Stack<byte[]> buffers, CancellationToken ct)
    {
        var inFlight = new Queue<(Task Write, byte[] Buffer)>(WritesInFlight);
        Task previous = Task.CompletedTask;
        try
        {
            for (long c = first; c <= last; c++)
            {
                if (!work.IsSet(c) || _copied.IsSet(c)) continue;
                if (inFlight.Count == WritesInFlight)
                {
                    var (write, done) = inFlight.Peek();
                    await write.ConfigureAwait(false);
                    inFlight.Dequeue();
                    buffers.Push(done);
                }
                var buf = buffers.Pop();
                try
                {
                    await ReadChunkAsync(c, extents, buf, ct).ConfigureAwait(false);
                }
                catch
                {
                    buffers.Push(buf);
                    throw;
                }
                long chunk = c;
                var after = previous;
                // A write starts only when the one before it ended: the destination's order is the chunks' order.
                previous = Task.Run(async () =>
                {
                    await after.ConfigureAwait(false);
                    await WriteChunkAsync(chunk, extents, buf, ct).ConfigureAwait(false);
                }, CancellationToken.None);
                inFlight.Enqueue((previous, buf));
            }
            // The writes are chained, so the last one ends after all the others and rethrows the first failure;
            // the finally below hands their buffers back.
            await previous.ConfigureAwait(false);
        }
        finally
        {
            // Every write of the window ends before the locks go, also after a failed read or write. A
            // failure here is the one already thrown (a chained write rethrows its predecessor's), so it
            // is observed and dropped.
            while (inFlight.TryDequeue(out var pending))
            {
                await Task.WhenAny(pending.Write).ConfigureAwait(false);
                _ = pending.Write.Exception;
                buffers.Push(pending.Buffer);
            }
        }
    }

    private static ulong WindowMask(long chunks) => chunks >= 64 ? ulong.MaxValue : (1UL << (int)chunks) - 1;

    private bool NoneCopied(long first, long last)
    {
        for (long c = first; c <= last; c++)
            if (_copied.IsSet(c)) return false;
        return true;
    }

    private async Task<List<BlockExtent>> ExtentsAsync(long offset, long length, CancellationToken ct)
    {
        var all = new List<BlockExtent>();
        long pos = offset, end = offset + length;
        while (pos < end)
        {
            var part = await source.GetExtentsAsync(pos, end - pos, ct).ConfigureAwait(false);
            if (part.Count == 0) break;
            foreach (var e in part)
            {
                all.Add(e);
                pos = Math.Max(pos, e.Offset + e.Length);
            }
        }
        if (pos < end) all.Add(new BlockExtent(pos, end - pos, ExtentFlags.Data));  // unknown: copy as data
        return all;
    }

    /// <summary>The chunk's data extents from the source into <paramref name="buf"/>, each at its offset within the chunk.</summary>
    private async Task ReadChunkAsync(long chunk, List<BlockExtent> extents, byte[] buf, CancellationToken ct)
    {
        long start = geometry.ChunkOffset(chunk);
        long end = start + geometry.ChunkLength(chunk);
        foreach (var e in extents)
        {
            long s = Math.Max(start, e.Offset), t = Math.Min(end, e.Offset + e.Length);
            if (s >= t || e.IsHole) continue;
            await source.ReadAsync(s, buf.AsMemory((int)(s - start), (int)(t - s)), ct).ConfigureAwait(false);
        }
    }

    /// <summary>The chunk onto the destination, extent by extent in order: holes trimmed, data from <paramref name="buf"/>.</summary>
    private async Task WriteChunkAsync(long chunk, List<BlockExtent> extents, byte[] buf, CancellationToken ct)
    {
        long start = geometry.ChunkOffset(chunk);
        long end = start + geometry.ChunkLength(chunk);
        foreach (var e in extents)
        {
            long s = Math.Max(start, e.Offset), t = Math.Min(end, e.Offset + e.Length);
            if (s >= t) continue;
            if (e.IsHole)
            {
                await destination.TrimAsync(s, t - s, WriteFlags.None, ct).ConfigureAwait(false);
                Interlocked.Add(ref _bytesTrimmed, t - s);
                // What the destination reads there now; the buffer's bytes there were never read.
                if (digest is not null) buf.AsSpan((int)(s - start), (int)(t - s)).Clear();
            }
            else
            {
                await destination.WriteAsync(s, buf.AsMemory((int)(s - start), (int)(t - s)), WriteFlags.None, ct).ConfigureAwait(false);
                Interlocked.Add(ref _bytesCopied, t - s);
            }
        }
        digest?.SetChunk(chunk, buf.AsSpan(0, (int)(end - start)));
        _copied.Set(chunk);
        Interlocked.Increment(ref _chunksDone);
    }
}
