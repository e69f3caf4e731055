using Snapcat.Core.Integrity;

namespace Snapcat.Array.Integrity;

/// <summary>
/// Feeds a <see cref="ContentDigestBuilder"/> from pieces of a volume that need not be chunk-aligned and may arrive in any
/// order and from several threads (a volume copy's pieces follow the source's extents). A chunk a piece covers whole is
/// hashed from the piece's buffer at once; the edges of pieces are gathered in a small buffer per chunk until the chunk is
/// whole. Every byte must be given exactly once (data or zeroes); <see cref="ContentDigestBuilder.Finish"/> then succeeds.
/// </summary>
public sealed class ChunkAssembler(ContentDigestBuilder builder)
{
    private readonly Dictionary<long, Partial> _partials = [];
    private readonly Lock _gate = new();

    private sealed class Partial(int length)
    {
        public readonly byte[] Data = new byte[length];
        public int Filled;
    }

    public ContentDigestBuilder Builder => builder;

    public void AddData(long offset, ReadOnlySpan<byte> data)
    {
        long end = offset + data.Length;
        for (long c = offset / ContentDigest.ChunkSize; c * ContentDigest.ChunkSize < end; c++)
        {
            long start = c * ContentDigest.ChunkSize;
            int length = builder.ChunkLength(c);
            long s = Math.Max(start, offset), t = Math.Min(start + length, end);
            var part = data.Slice((int)(s - offset), (int)(t - s));
            if (s == start && t == start + length) builder.SetChunk(c, part);
            else Gather(c, (int)(s - start), part, length);
        }
    }

    public void AddZeroes(long offset, long length)
    {
        long end = offset + length;
        for (long c = offset / ContentDigest.ChunkSize; c * ContentDigest.ChunkSize < end; c++)
        {
            long start = c * ContentDigest.ChunkSize;
            int chunkLength = builder.ChunkLength(c);
            long s = Math.Max(start, offset), t = Math.Min(start + chunkLength, end);
            if (s == start && t == start + chunkLength) builder.SetChunkHash(c, DigestReader.ZeroHash(chunkLength));
            else Gather(c, (int)(s - start), null, chunkLength, (int)(t - s));
        }
    }

    /// <summary>Bytes [at, at+len) of chunk <paramref name="chunk"/>: <paramref name="part"/>, or zeroes when it is empty.</summary>
    private void Gather(long chunk, int at, ReadOnlySpan<byte> part, int chunkLength, int zeroLength = 0)
    {
        byte[]? whole = null;
        lock (_gate)
        {
            if (!_partials.TryGetValue(chunk, out var p)) _partials[chunk] = p = new Partial(chunkLength);
            if (part.IsEmpty) p.Filled += zeroLength;  // the buffer is born zero
            else
            {
                part.CopyTo(p.Data.AsSpan(at));
                p.Filled += part.Length;
            }
            if (p.Filled >= chunkLength)
            {
                _partials.Remove(chunk);
                whole = p.Data;
            }
        }
        if (whole is not null) builder.SetChunk(chunk, whole);
    }
}
