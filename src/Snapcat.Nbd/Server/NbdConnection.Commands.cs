using System.Buffers;
using System.Buffers.Binary;
using Snapcat.Core.Storage;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Server;

// Command semantics (spec §7.3) and their validation order (§12): flags, read-only, range, then the
// device call. Every path returns exactly one reply, or throws for the caller to answer the error.
internal sealed partial class NbdConnection
{
    private async ValueTask<Reply> ExecuteAsync(NbdRequest req, byte[]? payload)
    {
        var h = _export!;
        var dev = h.Device;
        var fua = (req.Flags & NbdCommandFlags.Fua) != 0 ? WriteFlags.Fua : WriteFlags.None;
        switch (req.Command)
        {
            case NbdCommand.Read:
                CheckFlags(req, NbdCommandFlags.Fua | (_structured ? NbdCommandFlags.DontFragment : 0));
                CheckRange(req, dev.Size, NbdError.Invalid);
                if (req.Length > NbdLimits.MaxPayload)
                    throw new RequestError(NbdError.Invalid, $"read of {req.Length} bytes exceeds the {NbdLimits.MaxPayload}-byte maximum");
                return await ReadAsync(req, dev).ConfigureAwait(false);

            case NbdCommand.Write:
                CheckFlags(req, NbdCommandFlags.Fua);
                CheckWritable(h);
                CheckRange(req, dev.Size, NbdError.NoSpace);
                await dev.WriteAsync((long)req.Offset, payload.AsMemory(0, (int)req.Length), fua, CancellationToken.None).ConfigureAwait(false);
                Metrics?.Written(req.Length);
                break;

            case NbdCommand.Flush:
                CheckFlags(req, NbdCommandFlags.Fua);
                await dev.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                break;

            case NbdCommand.Trim:
                CheckFlags(req, NbdCommandFlags.Fua);
                CheckWritable(h);
                CheckRange(req, dev.Size, NbdError.Invalid);
                await dev.TrimAsync((long)req.Offset, req.Length, fua, CancellationToken.None).ConfigureAwait(false);
                break;

            case NbdCommand.Cache:
                // A prefetch hint (§7.3): nothing is cached here, so only validation happens.
                CheckFlags(req, NbdCommandFlags.Fua);
                CheckRange(req, dev.Size, NbdError.Invalid);
                break;

            case NbdCommand.WriteZeroes:
                CheckFlags(req, NbdCommandFlags.Fua | NbdCommandFlags.NoHole | NbdCommandFlags.FastZero);
                CheckWritable(h);
                CheckRange(req, dev.Size, NbdError.NoSpace);
                var zf = fua;
                if ((req.Flags & NbdCommandFlags.NoHole) != 0) zf |= WriteFlags.NoHole;
                if ((req.Flags & NbdCommandFlags.FastZero) != 0) zf |= WriteFlags.FastZero;
                await dev.WriteZeroesAsync((long)req.Offset, req.Length, zf, CancellationToken.None).ConfigureAwait(false);
                break;

            case NbdCommand.BlockStatus:
                CheckFlags(req, NbdCommandFlags.Fua | NbdCommandFlags.ReqOne);
                if (!_structured || !_allocationSelected || _metaExport != _exportName)
                    throw new RequestError(NbdError.Invalid, "no metadata context was selected for this export");
                CheckRange(req, dev.Size, NbdError.Invalid);
                if (req.Length == 0) throw new RequestError(NbdError.Invalid, "block status of zero bytes");
                return await BlockStatusAsync(req, dev).ConfigureAwait(false);

            default:
                throw new RequestError(NbdError.Invalid, $"unknown command {req.Type}");
        }
        return default;
    }

    private static void CheckFlags(NbdRequest req, NbdCommandFlags allowed)
    {
        if ((req.Flags & ~allowed) != 0)
            throw new RequestError(NbdError.Invalid, $"flags 0x{(ushort)req.Flags:x4} are not valid for {req.Command}");
    }

    private static void CheckWritable(NbdExportHandle h)
    {
        if (h.ReadOnly) throw new RequestError(NbdError.Perm, "the export is read-only");
    }

    // u64 arithmetic: offset + length may overflow, so compare against what is left (§12).
    private static void CheckRange(NbdRequest req, long size, NbdError error)
    {
        if (req.Offset > (ulong)size || req.Length > (ulong)size - req.Offset)
            throw new RequestError(error, $"range {req.Offset}+{req.Length} is outside the export of {size} bytes");
    }

    /// <summary>
    /// One message per READ, header and data in a single pooled buffer:
    /// structured = chunk header (20) + u64 offset + data as one OFFSET_DATA chunk with DONE (§8.3,
    /// which also satisfies DF); simple = 16-byte header + data (§8.1).
    /// </summary>
    private async ValueTask<Reply> ReadAsync(NbdRequest req, IBlockDevice dev)
    {
        int len = (int)req.Length;
        if (len == 0)
        {
            // §7.3: zero-length reads are unspecified; answer success without data.
            if (!_structured) return default;
            var none = ArrayPool<byte>.Shared.Rent(NbdStructuredReplyChunk.Size);
            new NbdStructuredReplyChunk(NbdReplyFlags.Done, NbdReplyChunkType.None, req.Cookie, 0).Write(none);
            return new Reply(none, NbdStructuredReplyChunk.Size);
        }
        int head = _structured ? NbdStructuredReplyChunk.OffsetDataPrefix : NbdSimpleReply.Size;
        byte[] buf = ArrayPool<byte>.Shared.Rent(head + len);
        try
        {
            await dev.ReadAsync((long)req.Offset, buf.AsMemory(head, len), Ct).ConfigureAwait(false);
            Metrics?.Read(len);
            if (_structured)
            {
                new NbdStructuredReplyChunk(NbdReplyFlags.Done, NbdReplyChunkType.OffsetData, req.Cookie, (uint)(8 + len)).Write(buf);
                BinaryPrimitives.WriteUInt64BigEndian(buf.AsSpan(NbdStructuredReplyChunk.Size), req.Offset);
            }
            else
            {
                new NbdSimpleReply(NbdError.None, req.Cookie).Write(buf);
            }
            return new Reply(buf, head + len);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buf);
            throw;
        }
    }

    /// <summary>
    /// One BLOCK_STATUS chunk for base:allocation (§7.3): u32 context id, then (u32 length, u32 flags)
    /// extents that start at the request offset, are contiguous, never pass the request's end, and
    /// merge neighbours with equal flags. REQ_ONE keeps only the first extent.
    /// </summary>
    private async ValueTask<Reply> BlockStatusAsync(NbdRequest req, IBlockDevice dev)
    {
        var extents = await dev.GetExtentsAsync((long)req.Offset, req.Length, Ct).ConfigureAwait(false);
        bool reqOne = (req.Flags & NbdCommandFlags.ReqOne) != 0;
        int max = Math.Max(1, extents.Count);
        const int head = NbdStructuredReplyChunk.Size + 4;
        byte[] buf = ArrayPool<byte>.Shared.Rent(head + 8 * max);
        try
        {
            int n = BuildExtents(buf.AsSpan(head), extents, (long)req.Offset, (long)req.Offset + req.Length, reqOne);
            new NbdStructuredReplyChunk(NbdReplyFlags.Done, NbdReplyChunkType.BlockStatus, req.Cookie, (uint)(4 + 8 * n)).Write(buf);
            BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(NbdStructuredReplyChunk.Size), AllocationContextId);
            return new Reply(buf, head + 8 * n);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buf);
            throw;
        }
    }

    internal static int BuildExtents(Span<byte> dest, IReadOnlyList<BlockExtent> extents, long start, long end, bool reqOne)
    {
        int n = 0;
        long cur = start;
        uint lastFlags = 0;
        foreach (var e in extents)
        {
            if (cur >= end) break;
            if (e.Offset > cur || e.Offset + e.Length <= cur) break;  // a gap or a stale extent: report what is known
            long stop = Math.Min(e.Offset + e.Length, end);
            uint len = (uint)(stop - cur);
            uint flags = (uint)e.Flags & (uint)(NbdAllocationState.Hole | NbdAllocationState.Zero);
            if (n > 0 && flags == lastFlags)
            {
                uint prev = BinaryPrimitives.ReadUInt32BigEndian(dest[(8 * (n - 1))..]);
                BinaryPrimitives.WriteUInt32BigEndian(dest[(8 * (n - 1))..], prev + len);
            }
            else
            {
                if (reqOne && n == 1) break;
                BinaryPrimitives.WriteUInt32BigEndian(dest[(8 * n)..], len);
                BinaryPrimitives.WriteUInt32BigEndian(dest[(8 * n + 4)..], flags);
                lastFlags = flags;
                n++;
            }
            cur = stop;
        }
        if (n == 0)
        {
            // Nothing usable from the device: "allocated, contents unknown" is always correct (§3.10).
            BinaryPrimitives.WriteUInt32BigEndian(dest, (uint)(end - start));
            BinaryPrimitives.WriteUInt32BigEndian(dest[4..], 0);
            n = 1;
        }
        return n;
    }
}
