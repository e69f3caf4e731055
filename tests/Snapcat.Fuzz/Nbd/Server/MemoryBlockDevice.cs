using Snapcat.Core.Storage;

namespace Snapcat.Fuzz.Nbd.Server;

/// <summary>A small in-memory device for fuzzing: no allocation tracking, every extent is data.</summary>
internal sealed class MemoryBlockDevice(int size) : IBlockDevice
{
    private readonly byte[] _data = new byte[size];

    public long Size => _data.Length;
    public bool IsReadOnly => false;

    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default)
    {
        Check(offset, buffer.Length);
        lock (_data) _data.AsSpan((int)offset, buffer.Length).CopyTo(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, WriteFlags flags = WriteFlags.None, CancellationToken ct = default)
    {
        Check(offset, data.Length);
        lock (_data) data.Span.CopyTo(_data.AsSpan((int)offset));
        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken ct = default) => ValueTask.CompletedTask;

    public ValueTask TrimAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
        WriteZeroesAsync(offset, length, flags, ct);

    public ValueTask WriteZeroesAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default)
    {
        Check(offset, length);
        if ((flags & WriteFlags.FastZero) != 0) throw new FastZeroNotSupportedException();
        lock (_data) _data.AsSpan((int)offset, (int)length).Clear();
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<BlockExtent>> GetExtentsAsync(long offset, long length, CancellationToken ct = default)
    {
        Check(offset, length);
        IReadOnlyList<BlockExtent> all = [new BlockExtent(offset, Math.Min(length, Size - offset), ExtentFlags.Data)];
        return ValueTask.FromResult(all);
    }

    private void Check(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Size || length > Size - offset)
            throw new ArgumentOutOfRangeException(nameof(offset), $"range {offset}+{length} is outside {Size} bytes");
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
