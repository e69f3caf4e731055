namespace Snapcat.Core.Storage;

/// <summary>
/// A fixed-size, byte-addressed block device: an array volume (sparse file), a snapshot view, or a
/// remote NBD export seen through the client library. The NBD server serves any implementation, and
/// the copy engines (mirror, volume copy, tape streaming) copy from one to another.
///
/// Contract shared by all implementations:
/// <list type="bullet">
/// <item>Offsets and lengths are checked by the caller against <see cref="Size"/>; implementations may
///   still throw <see cref="ArgumentOutOfRangeException"/> as a last defence.</item>
/// <item>A write that returned is visible to every later read on any handle of the same device
///   (so NBD may advertise MULTI_CONN); it is durable only after <see cref="FlushAsync"/> or a write
///   with <see cref="WriteFlags.Fua"/> returned.</item>
/// <item>Concurrent calls are allowed; overlapping concurrent writes have no defined order (as for a disk).</item>
/// </list>
/// </summary>
public interface IBlockDevice : IAsyncDisposable
{
    long Size { get; }

    bool IsReadOnly { get; }

    /// <summary>Fills <paramref name="buffer"/> completely; holes read as zeroes.</summary>
    ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default);

    ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, WriteFlags flags = WriteFlags.None, CancellationToken ct = default);

    /// <summary>Makes every completed write durable (fsync).</summary>
    ValueTask FlushAsync(CancellationToken ct = default);

    /// <summary>Discards the range; it reads back as zeroes and stops taking space where the storage can punch holes.</summary>
    ValueTask TrimAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default);

    /// <summary>
    /// Writes zeroes. Without <see cref="WriteFlags.NoHole"/> the range may become a hole. With
    /// <see cref="WriteFlags.FastZero"/> the device must either zero quickly or throw
    /// <see cref="FastZeroNotSupportedException"/> without touching the data.
    /// </summary>
    ValueTask WriteZeroesAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default);

    /// <summary>
    /// Describes allocation from <paramref name="offset"/>: a list of contiguous extents in order, covering
    /// at least the first byte and at most <paramref name="length"/> bytes (fewer is allowed, as in NBD).
    /// </summary>
    ValueTask<IReadOnlyList<BlockExtent>> GetExtentsAsync(long offset, long length, CancellationToken ct = default);
}

[Flags]
public enum WriteFlags
{
    None = 0,
    /// <summary>Force unit access: durable before completion.</summary>
    Fua = 1,
    /// <summary>WRITE_ZEROES must allocate, not punch a hole.</summary>
    NoHole = 2,
    /// <summary>WRITE_ZEROES must be fast or fail with <see cref="FastZeroNotSupportedException"/>.</summary>
    FastZero = 4,
}

[Flags]
public enum ExtentFlags
{
    /// <summary>Allocated data.</summary>
    Data = 0,
    /// <summary>Not allocated (NBD_STATE_HOLE).</summary>
    Hole = 1,
    /// <summary>Reads as zeroes (NBD_STATE_ZERO).</summary>
    Zero = 2,
}

public readonly record struct BlockExtent(long Offset, long Length, ExtentFlags Flags)
{
    public bool IsHole => (Flags & ExtentFlags.Hole) != 0;
}

/// <summary>Raised by WRITE_ZEROES with FAST_ZERO when zeroing would be slow (NBD answers ENOTSUP).</summary>
public sealed class FastZeroNotSupportedException() : NotSupportedException("fast zeroing is not supported for this range");
