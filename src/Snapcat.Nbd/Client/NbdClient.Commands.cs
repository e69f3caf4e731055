using Snapcat.Core.Storage;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Client;

public sealed partial class NbdClient
{
    /// <summary>
    /// Reads <paramref name="buffer"/> completely. Ranges above <see cref="MaximumPayload"/> go out as
    /// several requests at once, all in flight on this connection.
    /// </summary>
    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default)
    {
        CheckRange(offset, buffer.Length);
        if (buffer.Length == 0) return;  // a zero-length READ has unspecified meaning (§7.3)
        var parts = new List<Task>();
        for (int done = 0; done < buffer.Length; done += MaximumPayload)
        {
            int n = Math.Min(MaximumPayload, buffer.Length - done);
            parts.Add(SendAsync(NbdCommand.Read, NbdCommandFlags.None, offset + done, (uint)n, buffer.Slice(done, n), default, ct));
        }
        await Task.WhenAll(parts).ConfigureAwait(false);
    }

    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, WriteFlags flags = WriteFlags.None, CancellationToken ct = default)
    {
        CheckRange(offset, data.Length);
        if (data.Length == 0) return;
        var cmdFlags = FuaFlag(flags, out bool flushAfter);
        var parts = new List<Task>();
        for (int done = 0; done < data.Length; done += MaximumPayload)
        {
            int n = Math.Min(MaximumPayload, data.Length - done);
            parts.Add(SendAsync(NbdCommand.Write, cmdFlags, offset + done, (uint)n, default, data.Slice(done, n), ct));
        }
        await Task.WhenAll(parts).ConfigureAwait(false);
        if (flushAfter) await FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>NBD_CMD_FLUSH: every write answered before it is durable. Without SEND_FLUSH the server has no cache to flush.</summary>
    public async ValueTask FlushAsync(CancellationToken ct = default)
    {
        if (!Has(NbdTransmissionFlags.SendFlush)) return;
        await SendAsync(NbdCommand.Flush, NbdCommandFlags.None, 0, 0, default, default, ct).ConfigureAwait(false);
    }

    /// <summary>NBD_CMD_TRIM, a hint (§7.3): skipped when the server does not advertise SEND_TRIM.</summary>
    public async ValueTask TrimAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default)
    {
        CheckRange(offset, length);
        if (length == 0 || !Has(NbdTransmissionFlags.SendTrim)) return;
        var cmdFlags = FuaFlag(flags, out bool flushAfter);
        await EffectAsync(NbdCommand.Trim, cmdFlags, offset, length, ct).ConfigureAwait(false);
        if (flushAfter) await FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// NBD_CMD_WRITE_ZEROES with NO_HOLE / FAST_ZERO. Without server support the zeroes are written
    /// as data (unless FAST_ZERO asked to fail rather than be slow).
    /// </summary>
    public async ValueTask WriteZeroesAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default)
    {
        CheckRange(offset, length);
        if (length == 0) return;
        bool fast = (flags & WriteFlags.FastZero) != 0;
        if (!Has(NbdTransmissionFlags.SendWriteZeroes))
        {
            if (fast) throw new FastZeroNotSupportedException();
            await WriteZeroBytesAsync(offset, length, flags, ct).ConfigureAwait(false);
            return;
        }
        if (fast && !Has(NbdTransmissionFlags.SendFastZero)) throw new FastZeroNotSupportedException();
        var cmdFlags = FuaFlag(flags, out bool flushAfter)
            | ((flags & WriteFlags.NoHole) != 0 ? NbdCommandFlags.NoHole : 0)
            | (fast ? NbdCommandFlags.FastZero : 0);
        try
        {
            await EffectAsync(NbdCommand.WriteZeroes, cmdFlags, offset, length, ct).ConfigureAwait(false);
        }
        catch (NbdCommandException ex) when (fast && ex.Error == NbdError.NotSupported)
        {
            // ENOTSUP is the spec's answer to "zeroing would not be fast" (§7.3); nothing was changed.
            throw new FastZeroNotSupportedException();
        }
        if (flushAfter) await FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>NBD_CMD_CACHE, a prefetch hint: skipped when the server does not advertise SEND_CACHE.</summary>
    public async ValueTask CacheAsync(long offset, long length, CancellationToken ct = default)
    {
        CheckRange(offset, length);
        if (length == 0 || !Has(NbdTransmissionFlags.SendCache)) return;
        await EffectAsync(NbdCommand.Cache, NbdCommandFlags.None, offset, length, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// NBD_CMD_BLOCK_STATUS over base:allocation. The answer may cover less than asked (ask again from
    /// its end). Without the context, "all data" is the always-correct answer (§3.10).
    /// </summary>
    public async ValueTask<IReadOnlyList<BlockExtent>> GetExtentsAsync(long offset, long length, CancellationToken ct = default)
    {
        CheckRange(offset, length);
        if (length == 0) return [];
        if (BaseAllocationContext is null) return [new BlockExtent(offset, length, ExtentFlags.Data)];
        var p = await SendAsync(NbdCommand.BlockStatus, NbdCommandFlags.None, offset, ClampEffectLength(length), default, default, ct).ConfigureAwait(false);
        return p.Extents!;
    }

    /// <summary>A stream over the export (position-based, seekable). The stream does not own the client.</summary>
    public NbdStream OpenStream() => new(this);

    /// <summary>TRIM/WRITE_ZEROES/CACHE carry no payload, so their 32-bit length may exceed the payload limit; longer ranges are split.</summary>
    private async Task EffectAsync(NbdCommand command, NbdCommandFlags flags, long offset, long length, CancellationToken ct)
    {
        var parts = new List<Task>();
        while (length > 0)
        {
            uint n = ClampEffectLength(length);
            parts.Add(SendAsync(command, flags, offset, n, default, default, ct));
            offset += n;
            length -= n;
        }
        await Task.WhenAll(parts).ConfigureAwait(false);
    }

    /// <summary>The largest u32 length that keeps the minimum block alignment (§5).</summary>
    private uint ClampEffectLength(long length)
    {
        long max = uint.MaxValue / MinimumBlockSize * MinimumBlockSize;
        return (uint)Math.Min(length, max);
    }

    private NbdCommandFlags FuaFlag(WriteFlags flags, out bool flushAfter)
    {
        bool fua = (flags & WriteFlags.Fua) != 0;
        // FUA unadvertised: the same promise is kept with a FLUSH after the command.
        flushAfter = fua && !Has(NbdTransmissionFlags.SendFua);
        return fua && !flushAfter ? NbdCommandFlags.Fua : NbdCommandFlags.None;
    }

    private async Task WriteZeroBytesAsync(long offset, long length, WriteFlags flags, CancellationToken ct)
    {
        var zeroes = new byte[(int)Math.Min(length, Math.Min(MaximumPayload, 4 << 20))];
        while (length > 0)
        {
            int n = (int)Math.Min(length, zeroes.Length);
            await WriteAsync(offset, zeroes.AsMemory(0, n), flags & WriteFlags.Fua, ct).ConfigureAwait(false);
            offset += n;
            length -= n;
        }
    }

    private void CheckRange(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Size || length > Size - offset)
            throw new ArgumentOutOfRangeException(nameof(offset), $"range {offset}+{length} is outside the export '{ExportName}' of {Size} bytes at {Address}");
    }
}
