using Microsoft.Win32.SafeHandles;

namespace Snapcat.Core.Storage;

/// <summary>
/// A block device over one sparse file: the storage of an array volume, or a plain image in tests.
/// One <see cref="SafeFileHandle"/> is shared by every user, so an fsync through any of them covers
/// every write that completed before it (what NBD MULTI_CONN promises).
///
/// Failure policy: an I/O error is passed to the caller unchanged (NBD answers EIO); no write is
/// retried and nothing is cached here, so after an error the file holds whatever the kernel wrote.
/// Durability comes only from <see cref="FlushAsync"/> (fsync) or <see cref="WriteFlags.Fua"/>.
/// </summary>
public sealed class FileBlockDevice : IBlockDevice, IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly byte[] _zeroes = new byte[1 << 20];

    /// <summary>Made by <c>Create</c> and <c>Open</c> only, with the handle they opened.</summary>
    private FileBlockDevice(SafeFileHandle handle) => _handle = handle;

    public required string Path { get; init; }
    public required long Size { get; init; }
    public required bool IsReadOnly { get; init; }

    /// <summary>Creates a new sparse file of <paramref name="size"/> bytes (fails if it exists), 0600 (it holds a host's data), and fsyncs it.</summary>
    public static FileBlockDevice Create(string path, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var h = DurableFile.OpenPrivate(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite);
        try
        {
            RandomAccess.SetLength(h, size);  // ftruncate: no blocks allocated
            RandomAccess.FlushToDisk(h);
        }
        catch
        {
            h.Dispose();
            File.Delete(path);
            throw;
        }
        return new FileBlockDevice(h) { Size = size, IsReadOnly = false, Path = path };
    }

    public static FileBlockDevice Open(string path, bool readOnly = false)
    {
        var h = File.OpenHandle(path, FileMode.Open, readOnly ? FileAccess.Read : FileAccess.ReadWrite, FileShare.ReadWrite);
        return new FileBlockDevice(h) { Size = RandomAccess.GetLength(h), IsReadOnly = readOnly, Path = path };
    }

    /// <summary>Bytes the file really occupies on disk (st_blocks × 512).</summary>
    public long AllocatedBytes => FileAllocation.AllocatedBytes(Path);

    /// <summary>
    /// Cached data is copied at once on the caller's thread (a 4 KiB pread costs far less than a hop
    /// to the thread pool and back); only what must come from the disk goes to the pool, so many
    /// callers can wait for the disk in parallel.
    /// </summary>
    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default)
    {
        CheckRange(offset, buffer.Length);
        while (buffer.Length > 0)
        {
            int n = CachedRead.TryRead(_handle, buffer.Span, offset);
            if (n == 0) return ReadFullAsync(offset, buffer, ct);
            buffer = buffer[n..];
            offset += n;
        }
        return ValueTask.CompletedTask;
    }

    private async ValueTask ReadFullAsync(long offset, Memory<byte> buffer, CancellationToken ct)
    {
        while (buffer.Length > 0)
        {
            int n = await RandomAccess.ReadAsync(_handle, buffer, offset, ct).ConfigureAwait(false);
            if (n == 0)
            {
                // Past the file's end (cannot happen for a file of the right length): reads as zeroes.
                buffer.Span.Clear();
                return;
            }
            buffer = buffer[n..];
            offset += n;
        }
    }

    /// <summary>Writes up to this size are done on the caller's thread (see <see cref="WriteAsync"/>).</summary>
    private const int SyncWriteMax = 1 << 20;

    /// <summary>
    /// A buffered write only copies into the page cache, so up to <see cref="SyncWriteMax"/> it is a
    /// plain pwrite on the caller's thread: the thread pool hop of RandomAccess.WriteAsync would cost
    /// more than the copy (and on a non-async handle it blocks a pool thread in the same pwrite).
    /// Durability is unchanged: FUA still fsyncs before returning.
    /// </summary>
    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, WriteFlags flags = WriteFlags.None, CancellationToken ct = default)
    {
        CheckWritable();
        CheckRange(offset, data.Length);
        if (data.Length > SyncWriteMax) return WriteLargeAsync(offset, data, flags, ct);
        ct.ThrowIfCancellationRequested();
        RandomAccess.Write(_handle, data.Span, offset);
        if ((flags & WriteFlags.Fua) != 0) RandomAccess.FlushToDisk(_handle);
        return ValueTask.CompletedTask;
    }

    private async ValueTask WriteLargeAsync(long offset, ReadOnlyMemory<byte> data, WriteFlags flags, CancellationToken ct)
    {
        await RandomAccess.WriteAsync(_handle, data, offset, ct).ConfigureAwait(false);
        if ((flags & WriteFlags.Fua) != 0) RandomAccess.FlushToDisk(_handle);
    }

    public ValueTask FlushAsync(CancellationToken ct = default)
    {
        if (!IsReadOnly) RandomAccess.FlushToDisk(_handle);
        return ValueTask.CompletedTask;
    }

    public async ValueTask TrimAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default)
    {
        CheckWritable();
        CheckRange(offset, length);
        if (length == 0) return;
        if (!LinuxFile.PunchHole(_handle, offset, length))
            await WriteZeroBytesAsync(offset, length, ct).ConfigureAwait(false);  // trim is a hint; zeroing keeps reads consistent
        if ((flags & WriteFlags.Fua) != 0) RandomAccess.FlushToDisk(_handle);
    }

    public async ValueTask WriteZeroesAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default)
    {
        CheckWritable();
        CheckRange(offset, length);
        if (length == 0) return;
        bool done = (flags & WriteFlags.NoHole) == 0
            ? LinuxFile.PunchHole(_handle, offset, length)
            : LinuxFile.ZeroRange(_handle, offset, length);
        if (!done)
        {
            if ((flags & WriteFlags.FastZero) != 0) throw new FastZeroNotSupportedException();
            await WriteZeroBytesAsync(offset, length, ct).ConfigureAwait(false);
        }
        if ((flags & WriteFlags.Fua) != 0) RandomAccess.FlushToDisk(_handle);
    }

    public ValueTask<IReadOnlyList<BlockExtent>> GetExtentsAsync(long offset, long length, CancellationToken ct = default)
    {
        CheckRange(offset, length);
        return ValueTask.FromResult(FileExtents.Scan(_handle, offset, Math.Min(length, Size - offset)));
    }

    private async Task WriteZeroBytesAsync(long offset, long length, CancellationToken ct)
    {
        while (length > 0)
        {
            int n = (int)Math.Min(length, _zeroes.Length);
            await RandomAccess.WriteAsync(_handle, _zeroes.AsMemory(0, n), offset, ct).ConfigureAwait(false);
            offset += n;
            length -= n;
        }
    }

    private void CheckWritable()
    {
        if (IsReadOnly) throw new UnauthorizedAccessException("the device is read-only");
    }

    private void CheckRange(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Size || length > Size - offset)
            throw new ArgumentOutOfRangeException(nameof(offset), $"range {offset}+{length} is outside the device of {Size} bytes");
    }

    /// <summary>Closes the file; nothing is buffered here, so closing needs no await.</summary>
    public void Dispose() => _handle.Dispose();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
