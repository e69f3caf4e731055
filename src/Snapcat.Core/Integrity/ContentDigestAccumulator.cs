namespace Snapcat.Core.Integrity;

/// <summary>
/// Builds a <see cref="ContentDigest"/> from a stream of bytes whose length is not known in advance (a tape's data
/// file is read or written in 61,440-byte blocks; the digest's chunks are 64 KiB): <see cref="Append"/> the bytes in
/// order, in pieces of any size, then <see cref="Finish"/>. Not thread-safe.
/// </summary>
public sealed class ContentDigestAccumulator
{
    private readonly byte[] _chunk = new byte[ContentDigest.ChunkSize];
    private readonly MemoryStream _hashes = new();
    private int _filled;
    private long _length;
    private bool _finished;

    /// <summary>Bytes appended so far.</summary>
    public long Length => _length;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_finished) throw new InvalidOperationException("the digest is finished; make a new accumulator");
        _length += data.Length;
        while (!data.IsEmpty)
        {
            int n = Math.Min(data.Length, ContentDigest.ChunkSize - _filled);
            data[..n].CopyTo(_chunk.AsSpan(_filled));
            _filled += n;
            data = data[n..];
            if (_filled == ContentDigest.ChunkSize) HashChunk();
        }
    }

    /// <summary>The digest of everything appended (the last chunk may be short); the accumulator cannot be used after.</summary>
    public ContentDigest Finish()
    {
        if (_finished) throw new InvalidOperationException("the digest is finished already");
        if (_filled > 0) HashChunk();
        _finished = true;
        return ContentDigest.FromChunkHashes(_length, _hashes.ToArray());
    }

    private void HashChunk()
    {
        Span<byte> hash = stackalloc byte[ContentDigest.HashSize];
        System.Security.Cryptography.SHA256.HashData(_chunk.AsSpan(0, _filled), hash);
        _hashes.Write(hash);
        _filled = 0;
    }
}
