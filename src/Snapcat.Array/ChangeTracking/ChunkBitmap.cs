namespace Snapcat.Array.ChangeTracking;

/// <summary>
/// One bit per chunk: "changed since the last complete copy". Marking is lock-free (Interlocked.Or),
/// so the write path pays one atomic OR per 64-chunk word it touches. Words of 64 chunks are also the
/// mirror copier's unit of work (one 4 MiB window at 64 KiB chunks).
/// </summary>
public sealed class ChunkBitmap
{
    private readonly ulong[] _words;

    public ChunkBitmap(long chunkCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunkCount);
        ChunkCount = chunkCount;
        _words = new ulong[(chunkCount + 63) / 64];
    }

    public long ChunkCount { get; }

    public int WordCount => _words.Length;

    public bool IsSet(long chunk) => (Volatile.Read(ref _words[chunk >> 6]) & (1UL << (int)(chunk & 63))) != 0;

    public void Set(long chunk) => Interlocked.Or(ref _words[chunk >> 6], 1UL << (int)(chunk & 63));

    public void SetRange(long first, long last)
    {
        for (long c = first; c <= last; c++) Set(c);
    }

    public void SetAll()
    {
        for (long c = 0; c < ChunkCount; c++) Set(c);
    }

    public ulong Word(int index) => Volatile.Read(ref _words[index]);

    /// <summary>Atomically takes every set bit out of this bitmap into a new one (a copy's work list).</summary>
    public ChunkBitmap Drain()
    {
        var taken = new ChunkBitmap(ChunkCount);
        for (int i = 0; i < _words.Length; i++)
            taken._words[i] = Interlocked.Exchange(ref _words[i], 0);
        return taken;
    }

    /// <summary>ORs <paramref name="other"/> into this bitmap (a failed copy gives its work back).</summary>
    public void Merge(ChunkBitmap other)
    {
        if (other.ChunkCount != ChunkCount) throw new ArgumentException("bitmaps of different sizes", nameof(other));
        for (int i = 0; i < _words.Length; i++)
            if (other._words[i] != 0) Interlocked.Or(ref _words[i], other._words[i]);
    }

    public long CountSet()
    {
        long n = 0;
        for (int i = 0; i < _words.Length; i++) n += System.Numerics.BitOperations.PopCount(Word(i));
        return n;
    }

    internal void CopyTo(Span<ulong> destination) => _words.AsSpan().CopyTo(destination);

    internal void LoadFrom(ReadOnlySpan<ulong> source) => source.CopyTo(_words);
}
