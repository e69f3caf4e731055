using System.Collections.Immutable;
using Snapcat.Core.Storage;

namespace Snapcat.Array.Volumes;

/// <summary>
/// A volume's data as every NBD connection and copy function sees it: one shared instance per volume
/// (owned by <see cref="VolumeManager"/>) over one <see cref="FileBlockDevice"/>, so a flush through
/// any connection covers writes from all of them (NBD MULTI_CONN).
///
/// Before bytes change, every registered <see cref="IVolumeWriteHook"/> is awaited (mirror
/// copy-before-write, snapshot copy-on-write); before an fsync (FLUSH, or a FUA write) every hook's
/// BeforeFlushAsync is awaited, so hook state is durable no later than the data it protects.
/// Failure policy: if a hook fails, the change is not made and the error goes to the caller (NBD EIO).
/// </summary>
public sealed class VolumeDevice : IBlockDevice
{
    private readonly FileBlockDevice _file;
    private ImmutableArray<IVolumeWriteHook> _hooks = [];

    public VolumeDevice(uint number, FileBlockDevice file)
    {
        Number = number;
        _file = file;
    }

    public uint Number { get; }
    public long Size => _file.Size;
    public bool IsReadOnly => _file.IsReadOnly;
    public long AllocatedBytes => _file.AllocatedBytes;

    /// <summary>Registers a hook; dispose the result to remove it.</summary>
    public IDisposable AddHook(IVolumeWriteHook hook)
    {
        ImmutableInterlocked.Update(ref _hooks, h => h.Add(hook));
        return new Registration(this, hook);
    }

    public int HookCount => _hooks.Length;

    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default) =>
        _file.ReadAsync(offset, buffer, ct);

    public ValueTask<IReadOnlyList<BlockExtent>> GetExtentsAsync(long offset, long length, CancellationToken ct = default) =>
        _file.GetExtentsAsync(offset, length, ct);

    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, WriteFlags flags = WriteFlags.None, CancellationToken ct = default)
    {
        var hooks = _hooks;
        if (hooks.IsEmpty)
        {
            await _file.WriteAsync(offset, data, flags, ct).ConfigureAwait(false);
            return;
        }
        var leases = await BeforeChangeAsync(hooks, offset, data.Length, flags, ct).ConfigureAwait(false);
        try { await _file.WriteAsync(offset, data, flags, ct).ConfigureAwait(false); }
        finally { Release(leases); }
    }

    public async ValueTask TrimAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default)
    {
        var hooks = _hooks;
        var leases = await BeforeChangeAsync(hooks, offset, length, flags, ct).ConfigureAwait(false);
        try { await _file.TrimAsync(offset, length, flags, ct).ConfigureAwait(false); }
        finally { Release(leases); }
    }

    public async ValueTask WriteZeroesAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default)
    {
        var hooks = _hooks;
        var leases = await BeforeChangeAsync(hooks, offset, length, flags, ct).ConfigureAwait(false);
        try { await _file.WriteZeroesAsync(offset, length, flags, ct).ConfigureAwait(false); }
        finally { Release(leases); }
    }

    public async ValueTask FlushAsync(CancellationToken ct = default)
    {
        foreach (var h in _hooks) await h.BeforeFlushAsync(ct).ConfigureAwait(false);
        await _file.FlushAsync(ct).ConfigureAwait(false);
    }

    private static async ValueTask<List<IDisposable>?> BeforeChangeAsync(
        ImmutableArray<IVolumeWriteHook> hooks, long offset, long length, WriteFlags flags, CancellationToken ct)
    {
        if (hooks.IsEmpty) return null;
        var leases = new List<IDisposable>(hooks.Length);
        try
        {
            foreach (var h in hooks)
            {
                var lease = await h.BeforeChangeAsync(offset, length, ct).ConfigureAwait(false);
                if (lease is not null) leases.Add(lease);
            }
            // A FUA change fsyncs inside the file device, so hook state must be durable first.
            if ((flags & WriteFlags.Fua) != 0)
                foreach (var h in hooks) await h.BeforeFlushAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            Release(leases);
            throw;
        }
        return leases;
    }

    private static void Release(List<IDisposable>? leases)
    {
        if (leases is null) return;
        for (int i = leases.Count - 1; i >= 0; i--) leases[i].Dispose();
    }

    /// <summary>
    /// Connections share this instance and must not close it: disposal by a user is a no-op. The
    /// manager closes the file with <see cref="CloseAsync"/> when the volume is deleted or the array stops.
    /// </summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    internal ValueTask CloseAsync() => _file.DisposeAsync();

    private sealed class Registration(VolumeDevice device, IVolumeWriteHook hook) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
                ImmutableInterlocked.Update(ref device._hooks, h => h.Remove(hook));
        }
    }
}
