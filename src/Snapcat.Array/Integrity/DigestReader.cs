using System.Buffers;
using System.Security.Cryptography;
using Snapcat.Core.Integrity;

namespace Snapcat.Array.Integrity;

/// <summary>
/// Computes a volume's <see cref="ContentDigest"/> by reading it array-side: windows of 64 chunks (4 MiB), the next one read
/// while the chunks of the one before are hashed on the thread pool (reading and hashing overlap, and hashing uses every
/// core). Holes are not read: a chunk that is all hole gets the hash of zeroes at once, so a sparse volume digests fast.
/// </summary>
public static class DigestReader
{
    private const int ChunksPerWindow = 64;
    private const int WindowSize = ChunksPerWindow * ContentDigest.ChunkSize;

    private static readonly byte[] ZeroChunkHash = SHA256.HashData(new byte[ContentDigest.ChunkSize]);

    /// <summary>The hash of a chunk of <paramref name="length"/> zero bytes.</summary>
    public static ReadOnlySpan<byte> ZeroHash(int length) =>
        length == ContentDigest.ChunkSize ? ZeroChunkHash : SHA256.HashData(new byte[length]);

    /// <param name="progress">(bytes done, total), after each window.</param>
    public static async Task<ContentDigest> ComputeAsync(IBlockDevice device, Action<long, long>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        var builder = new ContentDigestBuilder(device.Size);
        await FillAsync(device, builder, null, progress, ct).ConfigureAwait(false);
        return builder.Finish();
    }

    /// <summary>
    /// Hashes the chunks of <paramref name="device"/> that <paramref name="needed"/> names (all when null) into
    /// <paramref name="builder"/>, reading only the windows that hold one (an incremental copy's unchanged chunks).
    /// </summary>
    public static async Task FillAsync(IBlockDevice device, ContentDigestBuilder builder, Func<long, bool>? needed,
        Action<long, long>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(builder);
        long size = device.Size;
        if (builder.Length != size)
            throw new ArgumentException($"the builder digests {builder.Length} bytes, the device has {size}", nameof(builder));
        byte[] current = ArrayPool<byte>.Shared.Rent(WindowSize), next = ArrayPool<byte>.Shared.Rent(WindowSize);
        Task hashing = Task.CompletedTask;
        try
        {
            progress?.Invoke(0, size);
            for (long first = 0; first < builder.ChunkCount; first += ChunksPerWindow)
            {
                ct.ThrowIfCancellationRequested();
                long last = Math.Min(first + ChunksPerWindow, builder.ChunkCount) - 1;
                long offset = first * ContentDigest.ChunkSize;
                int length = checked((int)(Math.Min(size, (last + 1) * (long)ContentDigest.ChunkSize) - offset));
                if (needed is not null && !AnyNeeded(needed, first, last)) continue;
                var holes = await ReadWindowAsync(device, offset, length, next, ct).ConfigureAwait(false);
                await hashing.ConfigureAwait(false);  // the window before is hashed: its buffer is free again
                (current, next) = (next, current);
                byte[] data = current;
                long f = first, l = last, done = offset + length;
                hashing = Task.Run(() =>
                {
                    Parallel.For(f, l + 1, c =>
                    {
                        if (needed is not null && !needed(c)) return;
                        int at = checked((int)((c - f) * ContentDigest.ChunkSize));
                        int len = builder.ChunkLength(c);
                        if (holes is not null && holes[(int)(c - f)]) builder.SetChunkHash(c, ZeroHash(len));
                        else builder.SetChunk(c, data.AsSpan(at, len));
                    });
                    progress?.Invoke(done, size);
                }, ct);
            }
            await hashing.ConfigureAwait(false);
        }
        finally
        {
            // Hashing may still read a buffer if the loop threw: wait for it before the buffers go back.
            try { await hashing.ConfigureAwait(false); }
            catch (Exception) when (ct.IsCancellationRequested || hashing.IsFaulted) { }
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(next);
        }
    }

    private static bool AnyNeeded(Func<long, bool> needed, long first, long last)
    {
        for (long c = first; c <= last; c++)
            if (needed(c)) return true;
        return false;
    }

    /// <summary>
    /// The window's data into <paramref name="buffer"/> (holes zero-filled); returns which of its chunks are entirely hole
    /// (not read at all), or null when none is.
    /// </summary>
    private static async Task<bool[]?> ReadWindowAsync(IBlockDevice device, long offset, int length, byte[] buffer, CancellationToken ct)
    {
        var extents = new List<BlockExtent>();
        long pos = offset, end = offset + length;
        while (pos < end)
        {
            var part = await device.GetExtentsAsync(pos, end - pos, ct).ConfigureAwait(false);
            if (part.Count == 0) break;
            foreach (var e in part)
            {
                if (e.Offset + e.Length <= pos) continue;
                extents.Add(e);
                pos = Math.Max(pos, e.Offset + e.Length);
            }
        }
        if (pos < end) extents.Add(new BlockExtent(pos, end - pos, ExtentFlags.Data));  // unknown: read it
        int chunks = (length + ContentDigest.ChunkSize - 1) / ContentDigest.ChunkSize;
        var hasData = new bool[chunks];
        foreach (var e in extents)
        {
            long s = Math.Max(offset, e.Offset), t = Math.Min(end, e.Offset + e.Length);
            if (s >= t) continue;
            var target = buffer.AsMemory((int)(s - offset), (int)(t - s));
            if ((e.Flags & (ExtentFlags.Hole | ExtentFlags.Zero)) != 0)
            {
                target.Span.Clear();
                continue;
            }
            await device.ReadAsync(s, target, ct).ConfigureAwait(false);
            for (long c = (s - offset) / ContentDigest.ChunkSize; c <= (t - 1 - offset) / ContentDigest.ChunkSize; c++) hasData[c] = true;
        }
        bool[]? holes = null;
        for (int c = 0; c < chunks; c++)
            if (!hasData[c]) (holes ??= new bool[chunks])[c] = true;
        return holes;
    }
}
