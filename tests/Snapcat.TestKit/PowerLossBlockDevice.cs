using Snapcat.Core.Storage;

namespace Snapcat.TestKit;

/// <summary>
/// A block device that loses power on request. Writes, trims and zeroings since the last
/// <see cref="FlushAsync"/> are kept apart, in order, in memory (the volatile write cache); reads see
/// them, but only a flush (or a FUA write, for that write alone) moves them onto the wrapped device,
/// which stands for the medium. <see cref="CrashAsync"/> is the power cut: the unflushed operations
/// are dropped — all of them, or a random subset as a disk that had destaged some of its cache — and
/// the wrapped device holds what survived.
///
/// This is what kill -9 cannot show: after a killed process the page cache still writes everything
/// out, so a missing fsync goes unnoticed; here it loses the data, and a test of "acknowledged as
/// durable survives" fails.
/// </summary>
public sealed class PowerLossBlockDevice(IBlockDevice medium) : IBlockDevice
{
    private enum Kind { Write, Trim, Zero }

    private sealed record Op(Kind Kind, long Offset, long Length, byte[]? Data, bool Durable);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<Op> _cache = [];
    private int _flushes;

    public IBlockDevice Medium => medium;
    public long Size => medium.Size;
    public bool IsReadOnly => medium.IsReadOnly;

    /// <summary>Flushes (fsyncs) that reached the device, for messages that say why data was lost.</summary>
    public int Flushes => Volatile.Read(ref _flushes);

    /// <summary>Operations still only in the volatile cache.</summary>
    public int Unflushed
    {
        get
        {
            _gate.Wait();
            try { return _cache.Count(o => !o.Durable); }
            finally { _gate.Release(); }
        }
    }

    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await medium.ReadAsync(offset, buffer, ct).ConfigureAwait(false);
            foreach (var op in _cache)
            {
                long s = Math.Max(offset, op.Offset), t = Math.Min(offset + buffer.Length, op.Offset + op.Length);
                if (s >= t) continue;
                var dst = buffer.Span.Slice((int)(s - offset), (int)(t - s));
                if (op.Data is null) dst.Clear();
                else op.Data.AsSpan((int)(s - op.Offset), (int)(t - s)).CopyTo(dst);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
        AddAsync(new Op(Kind.Write, offset, data.Length, data.ToArray(), (flags & WriteFlags.Fua) != 0), ct);

    public ValueTask TrimAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
        AddAsync(new Op(Kind.Trim, offset, length, null, (flags & WriteFlags.Fua) != 0), ct);

    public ValueTask WriteZeroesAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
        AddAsync(new Op(Kind.Zero, offset, length, null, (flags & WriteFlags.Fua) != 0), ct);

    private async ValueTask AddAsync(Op op, CancellationToken ct)
    {
        if (IsReadOnly) throw new UnauthorizedAccessException("the device is read-only");
        if (op.Offset < 0 || op.Length < 0 || op.Offset > Size || op.Length > Size - op.Offset)
            throw new ArgumentOutOfRangeException(nameof(op), $"range {op.Offset}+{op.Length} is outside {Size} bytes");
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _cache.Add(op);
            if (op.Durable)
            {
                // FUA: this operation is on the medium before it completes (and stays in the cache, in
                // order, so that an older cached write to the same range cannot land after it).
                await ApplyAsync(op, ct).ConfigureAwait(false);
                await medium.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Every operation completed before the call reaches the medium, which is then fsynced.</summary>
    public async ValueTask FlushAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            foreach (var op in _cache) await ApplyAsync(op, ct).ConfigureAwait(false);
            _cache.Clear();
            if (!IsReadOnly) await medium.FlushAsync(ct).ConfigureAwait(false);
            Interlocked.Increment(ref _flushes);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The power cut: unflushed operations are lost. With <paramref name="survivors"/> each one reaches
    /// the medium with probability one half (in order, as a cache destaging); without, none does.
    /// FUA operations were on the medium already and are replayed in their place.
    /// </summary>
    public async Task CrashAsync(Random? survivors = null)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            foreach (var op in _cache)
                if (op.Durable || (survivors is not null && survivors.Next(2) == 0))
                    await ApplyAsync(op, CancellationToken.None).ConfigureAwait(false);
            _cache.Clear();
            if (!IsReadOnly) await medium.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private ValueTask ApplyAsync(Op op, CancellationToken ct) => op.Kind switch
    {
        Kind.Write => medium.WriteAsync(op.Offset, op.Data, WriteFlags.None, ct),
        Kind.Trim => medium.TrimAsync(op.Offset, op.Length, WriteFlags.None, ct),
        _ => medium.WriteZeroesAsync(op.Offset, op.Length, WriteFlags.None, ct),
    };

    /// <summary>Everything may have changed in the cache, so the whole range is reported as data (always correct, never sparse).</summary>
    public ValueTask<IReadOnlyList<BlockExtent>> GetExtentsAsync(long offset, long length, CancellationToken ct = default)
    {
        if (offset < 0 || length < 0 || offset > Size || length > Size - offset)
            throw new ArgumentOutOfRangeException(nameof(offset), $"range {offset}+{length} is outside {Size} bytes");
        IReadOnlyList<BlockExtent> all = [new BlockExtent(offset, length, ExtentFlags.Data)];
        return ValueTask.FromResult(all);
    }

    public ValueTask DisposeAsync()
    {
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }
}
