using Snapcat.Core.Storage;

namespace Snapcat.Nbd.Tests.Server;

/// <summary>A 1 MiB device whose every read, write, flush and trim throws the exception the test names.</summary>
internal sealed class ThrowingBlockDevice(Func<Exception> failure) : IBlockDevice
{
    public long Size => 1 << 20;
    public bool IsReadOnly => false;

    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default) => throw failure();

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
        throw failure();

    public ValueTask FlushAsync(CancellationToken ct = default) => throw failure();

    public ValueTask TrimAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
        throw failure();

    public ValueTask WriteZeroesAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
        throw failure();

    public ValueTask<IReadOnlyList<BlockExtent>> GetExtentsAsync(long offset, long length, CancellationToken ct = default) =>
        throw failure();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
