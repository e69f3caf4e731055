using Snapcat.Array.ChangeTracking;
using Snapcat.Core.Storage;

namespace Snapcat.Array.Mirror;

/// <summary>
/// One running copy of a set of chunks from a source to a destination device, such that at the end
/// the destination holds what the source held when the copy started (data mirror function 362):
/// a background pass copies the set in 64-chunk windows, and <see cref="CopyBeforeWriteAsync"/>,
/// called by the source's hook with the written chunks locked, first copies any chunk of the set
/// that is not yet copied. Both sides hold the chunks' locks while copying and check the "copied"
/// bit under them, so each chunk is copied exactly once, with its start-of-copy bytes.
///
/// Holes are not copied as data: ranges that are holes in the source are trimmed (punched) on the
/// destination, so it reads zero there without allocating.
///
/// No fsync per chunk: a copy that does not finish is a failed copy whatever its destination holds;
/// the owner fsyncs the destination once at the end, before declaring it complete.
/// </summary>
internal sealed class PointInTimeCopy(IBlockDevice source, IBlockDevice destination, ChunkGeometry geometry, ChunkBitmap work, ChunkLockTable locks)
{
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
        for (long c = first; c <= last; c++)
        {
            if (!work.IsSet(c) || _copied.IsSet(c)) continue;
            long off = geometry.ChunkOffset(c);
            int len = geometry.ChunkLength(c);
            var extents = await ExtentsAsync(off, len, ct).ConfigureAwait(false);
            await CopyChunkAsync(c, extents, ct).ConfigureAwait(false);
        }
    }

    public async Task RunAsync(Action<long, long>? progress, CancellationToken ct)
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
                    for (long c = first; c <= last; c++) _copied.Set(c);
                    Interlocked.Add(ref _chunksDone, last - first + 1);
                }
                else
                {
                    for (long c = first; c <= last; c++)
                        if (work.IsSet(c) && !_copied.IsSet(c))
                            await CopyChunkAsync(c, extents, ct).ConfigureAwait(false);
                }
            }
            progress?.Invoke(ChunksDone * geometry.ChunkSize, ChunksTotal * geometry.ChunkSize);
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

    private async Task CopyChunkAsync(long chunk, List<BlockExtent> extents, CancellationToken ct)
    {
        long start = geometry.ChunkOffset(chunk);
        long end = start + geometry.ChunkLength(chunk);
        byte[]? buf = null;
        foreach (var e in extents)
        {
            long s = Math.Max(start, e.Offset), t = Math.Min(end, e.Offset + e.Length);
            if (s >= t) continue;
            if (e.IsHole)
            {
                await destination.TrimAsync(s, t - s, WriteFlags.None, ct).ConfigureAwait(false);
                Interlocked.Add(ref _bytesTrimmed, t - s);
            }
            else
            {
                buf ??= new byte[geometry.ChunkSize];
                var mem = buf.AsMemory(0, (int)(t - s));
                await source.ReadAsync(s, mem, ct).ConfigureAwait(false);
                await destination.WriteAsync(s, mem, WriteFlags.None, ct).ConfigureAwait(false);
                Interlocked.Add(ref _bytesCopied, t - s);
            }
        }
        _copied.Set(chunk);
        Interlocked.Increment(ref _chunksDone);
    }
}
