using System.Collections.Immutable;

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

    /// <summary>The digest store's hook on this volume (VolumeManager sets it); a copy that keeps the digest itself writes without it.</summary>
    internal IVolumeWriteHook? DigestHook { get; set; }

    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default) =>
        _file.ReadAsync(offset, buffer, ct);

    public ValueTask<IReadOnlyList<BlockExtent>> GetExtentsAsync(long offset, long length, CancellationToken ct = default) =>
        _file.GetExtentsAsync(offset, length, ct);

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
        WriteAsync(_hooks, offset, data, flags, ct);

    public ValueTask TrimAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
        TrimAsync(_hooks, offset, length, flags, ct);

    public ValueTask WriteZeroesAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
        WriteZeroesAsync(_hooks, offset, length, flags, ct);

    public ValueTask FlushAsync(CancellationToken ct = default) => FlushAsync(_hooks, ct);

    /// <summary>
    /// The file without any hook: what the copy engines read old data from, and what nobody may write
    /// (a write here would bypass snapshots and change tracking).
    /// </summary>
    internal IBlockDevice Raw => _file;

    /// <summary>
    /// This volume with every hook but <paramref name="excluded"/>'s. A mirror pair writes its
    /// destination through such a view: its own side hook must not count the copy's writes as host
    /// changes, but the destination's snapshots must still preserve old data, and other pairs sharing
    /// the destination must still see the change.
    /// </summary>
    internal IBlockDevice Excluding(Func<IVolumeWriteHook?> excluded) => new HookFilteredView(this, excluded, null);

    /// <summary>
    /// <see cref="Excluding(Func{IVolumeWriteHook?})"/>, and without the digest hook too: for a copy that drops the kept digest
    /// itself before its first write (DigestStore.BeginRewrite) and seals a new one when it is done.
    /// </summary>
    internal IBlockDevice ExcludingWithDigest(Func<IVolumeWriteHook?> excluded) => new HookFilteredView(this, excluded, DigestHook);

    private async ValueTask WriteAsync(ImmutableArray<IVolumeWriteHook> hooks, long offset, ReadOnlyMemory<byte> data, WriteFlags flags, CancellationToken ct)
    {
        if (hooks.IsEmpty)
        {
            await _file.WriteAsync(offset, data, flags, ct).ConfigureAwait(false);
            return;
        }
        var leases = await BeforeChangeAsync(hooks, offset, data.Length, flags, ct).ConfigureAwait(false);
        try { await _file.WriteAsync(offset, data, flags, ct).ConfigureAwait(false); }
        finally { Release(leases); }
    }

    private async ValueTask TrimAsync(ImmutableArray<IVolumeWriteHook> hooks, long offset, long length, WriteFlags flags, CancellationToken ct)
    {
        var leases = await BeforeChangeAsync(hooks, offset, length, flags, ct).ConfigureAwait(false);
        try { await _file.TrimAsync(offset, length, flags, ct).ConfigureAwait(false); }
        finally { Release(leases); }
    }

    private async ValueTask WriteZeroesAsync(ImmutableArray<IVolumeWriteHook> hooks, long offset, long length, WriteFlags flags, CancellationToken ct)
    {
        var leases = await BeforeChangeAsync(hooks, offset, length, flags, ct).ConfigureAwait(false);
        try { await _file.WriteZeroesAsync(offset, length, flags, ct).ConfigureAwait(false); }
        finally { Release(leases); }
    }

    private async ValueTask FlushAsync(ImmutableArray<IVolumeWriteHook> hooks, CancellationToken ct)
    {
        foreach (var h in hooks) await h.BeforeFlushAsync(ct).ConfigureAwait(false);
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

    private sealed class HookFilteredView(VolumeDevice device, Func<IVolumeWriteHook?> excluded, IVolumeWriteHook? alsoExcluded) : IBlockDevice
    {
        public long Size => device.Size;
        public bool IsReadOnly => device.IsReadOnly;

        private ImmutableArray<IVolumeWriteHook> Hooks
        {
            get
            {
                var hooks = excluded() is { } x ? device._hooks.Remove(x) : device._hooks;
                return alsoExcluded is null ? hooks : hooks.Remove(alsoExcluded);
            }
        }

        public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default) => device.ReadAsync(offset, buffer, ct);

        public ValueTask<IReadOnlyList<BlockExtent>> GetExtentsAsync(long offset, long length, CancellationToken ct = default) =>
            device.GetExtentsAsync(offset, length, ct);

        public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
            device.WriteAsync(Hooks, offset, data, flags, ct);

        public ValueTask TrimAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
            device.TrimAsync(Hooks, offset, length, flags, ct);

        public ValueTask WriteZeroesAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
            device.WriteZeroesAsync(Hooks, offset, length, flags, ct);

        public ValueTask FlushAsync(CancellationToken ct = default) => device.FlushAsync(Hooks, ct);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

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
