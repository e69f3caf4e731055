using Snapcat.Array.Volumes;
using Snapcat.Core.Storage;

namespace Snapcat.Array.Tests.Engines;

/// <summary>
/// Test stand-in for the daemon's volume device: calls every hook's BeforeChangeAsync before a change
/// and disposes the leases after it, and BeforeFlushAsync before an fsync — the IVolumeWriteHook contract.
/// </summary>
internal sealed class HookedDevice(IBlockDevice inner, params IVolumeWriteHook[] hooks) : IBlockDevice
{
    public long Size => inner.Size;
    public bool IsReadOnly => inner.IsReadOnly;

    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default) => inner.ReadAsync(offset, buffer, ct);

    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, WriteFlags flags = WriteFlags.None, CancellationToken ct = default)
    {
        var leases = await BeforeAsync(offset, data.Length, ct);
        try { await inner.WriteAsync(offset, data, flags, ct); }
        finally { Release(leases); }
    }

    public async ValueTask FlushAsync(CancellationToken ct = default)
    {
        foreach (var h in hooks) await h.BeforeFlushAsync(ct);
        await inner.FlushAsync(ct);
    }

    public async ValueTask TrimAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default)
    {
        var leases = await BeforeAsync(offset, length, ct);
        try { await inner.TrimAsync(offset, length, flags, ct); }
        finally { Release(leases); }
    }

    public async ValueTask WriteZeroesAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default)
    {
        var leases = await BeforeAsync(offset, length, ct);
        try { await inner.WriteZeroesAsync(offset, length, flags, ct); }
        finally { Release(leases); }
    }

    public ValueTask<IReadOnlyList<BlockExtent>> GetExtentsAsync(long offset, long length, CancellationToken ct = default) =>
        inner.GetExtentsAsync(offset, length, ct);

    private async Task<List<IDisposable>> BeforeAsync(long offset, long length, CancellationToken ct)
    {
        var leases = new List<IDisposable>();
        try
        {
            foreach (var h in hooks)
                if (await h.BeforeChangeAsync(offset, length, ct) is { } l) leases.Add(l);
        }
        catch
        {
            Release(leases);
            throw;
        }
        return leases;
    }

    private static void Release(List<IDisposable> leases)
    {
        for (int i = leases.Count - 1; i >= 0; i--) leases[i].Dispose();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;  // the test owns the inner device
}
