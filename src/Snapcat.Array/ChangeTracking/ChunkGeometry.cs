namespace Snapcat.Array.ChangeTracking;

/// <summary>
/// How the copy engines cut a volume into chunks. 64 KiB is the unit of change tracking, snapshot
/// preservation and mirror copying: large enough that a 1 TiB volume has 16 Mi chunks (a 2 MiB
/// bitmap) and that one preservation is a single sequential 64 KiB read + write, small enough that a
/// 4 KiB random write costs at most 16× its size in copy-on-write traffic. It is a multiple of every
/// file system block size we run on (4 KiB), so a whole-chunk hole can be punched exactly.
/// </summary>
public readonly record struct ChunkGeometry(long VolumeSize, int ChunkSize)
{
    public const int DefaultChunkSize = 64 * 1024;

    public static ChunkGeometry For(long volumeSize, int chunkSize = DefaultChunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(volumeSize);
        if (chunkSize < 4096 || (chunkSize & (chunkSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(chunkSize), "the chunk size must be a power of two of at least 4096 bytes");
        return new ChunkGeometry(volumeSize, chunkSize);
    }

    /// <summary>Number of chunks; the last one may be shorter than <see cref="ChunkSize"/>.</summary>
    public long ChunkCount => (VolumeSize + ChunkSize - 1) / ChunkSize;

    public long ChunkOffset(long chunk) => chunk * ChunkSize;

    /// <summary>Length of a chunk, shorter for the volume's tail chunk.</summary>
    public int ChunkLength(long chunk) => (int)Math.Min(ChunkSize, VolumeSize - chunk * ChunkSize);

    /// <summary>The chunks touched by [offset, offset+length) as [first, last]; empty range gives last &lt; first.</summary>
    public (long First, long Last) ChunksOf(long offset, long length) =>
        length <= 0 ? (0, -1) : (offset / ChunkSize, (offset + length - 1) / ChunkSize);
}
