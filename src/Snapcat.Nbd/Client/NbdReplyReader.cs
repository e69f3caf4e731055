using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Snapcat.Core.Storage;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Client;

/// <summary>
/// Reads the server's replies in the transmission phase and hands each to its pending request by
/// cookie. Anything that cannot be matched or framed raises <see cref="NbdProtocolException"/>: the
/// byte stream has lost sync, and the owner breaks the connection (§10).
/// </summary>
internal sealed class NbdReplyReader(Stream stream, ConcurrentDictionary<ulong, NbdPendingRequest> pending, bool structured, uint? contextId, NbdAddress address)
{
    // Bounds checked before any buffering (§8.3): error messages ≤ 4096 bytes, a block-status
    // chunk ≤ 2^20 extents. OFFSET_DATA needs no bound: it must fit inside its request's range.
    private const int MaxErrorChunk = 6 + NbdLimits.MaxStringLength + 8;
    private const int MaxBlockStatusChunk = 4 + 8 * (1 << 20);

    private readonly byte[] _header = new byte[20];
    private readonly byte[] _discard = new byte[64 * 1024];

    /// <summary>Reads and dispatches one simple reply or one structured chunk; false on a clean end of stream.</summary>
    public async ValueTask<bool> ReadOneAsync(CancellationToken ct)
    {
        int n = await stream.ReadAtLeastAsync(_header.AsMemory(0, 4), 4, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        if (n == 0) return false;
        if (n < 4) throw new EndOfStreamException($"nbd server at {address} closed the connection inside a reply header");
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(_header);
        if (magic == NbdMagic.SimpleReply)
        {
            await stream.ReadExactlyAsync(_header.AsMemory(4, 12), ct).ConfigureAwait(false);
            await SimpleReplyAsync(ct).ConfigureAwait(false);
        }
        else if (magic == NbdMagic.StructuredReply)
        {
            if (!structured) throw Violation("sent a structured reply chunk although structured replies were not negotiated");
            await stream.ReadExactlyAsync(_header.AsMemory(4, 16), ct).ConfigureAwait(false);
            await ChunkAsync(ct).ConfigureAwait(false);
        }
        else
        {
            throw Violation($"sent a reply with bad magic 0x{magic:x8}");
        }
        return true;
    }

    // Simple reply (§8.1), 16 bytes:
    //   0  u32  0x67446698
    //   4  u32  error
    //   8  u64  cookie
    //  16  ...  data, only for a successful READ (length taken from the request)
    private async ValueTask SimpleReplyAsync(CancellationToken ct)
    {
        var error = (NbdError)BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(4));
        ulong cookie = BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(8));
        var p = Lookup(cookie);
        if (error != NbdError.None)
        {
            p.RecordError(error, null);
        }
        else if (p.Command == NbdCommand.Read)
        {
            await FillAsync(p, 0, (int)p.Length, ct).ConfigureAwait(false);
            p.Covered = p.Length;
        }
        else if (p.Command == NbdCommand.BlockStatus)
        {
            throw Violation($"answered BLOCK_STATUS (cookie {cookie}) with a simple reply");
        }
        Finish(p);
    }

    // Structured reply chunk (§8.2), 20-byte header:
    //   0  u32  0x668e33ef
    //   4  u16  flags (bit 0: DONE)
    //   6  u16  chunk type
    //   8  u64  cookie
    //  16  u32  payload length
    //  20  ...  payload (§8.3)
    private async ValueTask ChunkAsync(CancellationToken ct)
    {
        var flags = (NbdReplyFlags)BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(4));
        var type = (NbdReplyChunkType)BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(6));
        ulong cookie = BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(8));
        uint length = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(16));
        var p = Lookup(cookie);
        bool done = (flags & NbdReplyFlags.Done) != 0;

        switch (type)
        {
            case NbdReplyChunkType.None:
                // NONE: empty, and only as the last chunk.
                if (length != 0 || !done) throw Violation($"sent a NONE chunk with length {length}{(done ? "" : " without DONE")}");
                break;
            case NbdReplyChunkType.OffsetData:
                await OffsetDataAsync(p, length, ct).ConfigureAwait(false);
                break;
            case NbdReplyChunkType.OffsetHole:
                await OffsetHoleAsync(p, length, ct).ConfigureAwait(false);
                break;
            case NbdReplyChunkType.BlockStatus:
                await BlockStatusAsync(p, length, ct).ConfigureAwait(false);
                break;
            default:
                // Bit 15 marks an error chunk; unknown error types are read like ERROR (§8.3).
                if (((ushort)type & 0x8000) == 0) throw Violation($"sent unknown reply chunk type {(ushort)type} for cookie {cookie}");
                await ErrorChunkAsync(p, type, length, ct).ConfigureAwait(false);
                break;
        }
        if (done) Finish(p);
    }

    // OFFSET_DATA: u64 offset, then data (length − 8 bytes, ≥ 1), inside the requested range.
    private async ValueTask OffsetDataAsync(NbdPendingRequest p, uint length, CancellationToken ct)
    {
        if (p.Command != NbdCommand.Read) throw Violation($"sent an OFFSET_DATA chunk for a {p.Command} request");
        if (length < 9) throw Violation($"sent an OFFSET_DATA chunk of {length} bytes (needs offset and data)");
        await stream.ReadExactlyAsync(_header.AsMemory(0, 8), ct).ConfigureAwait(false);
        long start = CheckRange(p, BinaryPrimitives.ReadUInt64BigEndian(_header), length - 8);
        await FillAsync(p, start, (int)(length - 8), ct).ConfigureAwait(false);
    }

    // OFFSET_HOLE: u64 offset, u32 hole size (non-zero); length exactly 12. Reads as zeroes.
    private async ValueTask OffsetHoleAsync(NbdPendingRequest p, uint length, CancellationToken ct)
    {
        if (p.Command != NbdCommand.Read) throw Violation($"sent an OFFSET_HOLE chunk for a {p.Command} request");
        if (length != 12) throw Violation($"sent an OFFSET_HOLE chunk of {length} bytes (must be 12)");
        await stream.ReadExactlyAsync(_header.AsMemory(0, 12), ct).ConfigureAwait(false);
        uint size = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(8));
        long start = CheckRange(p, BinaryPrimitives.ReadUInt64BigEndian(_header), size);
        await p.TryFillAsync(m => { m.Span.Clear(); return ValueTask.CompletedTask; }, start, (int)size).ConfigureAwait(false);
    }

    // BLOCK_STATUS: u32 context ID, then N ≥ 1 × (u32 extent length ≠ 0, u32 status flags).
    private async ValueTask BlockStatusAsync(NbdPendingRequest p, uint length, CancellationToken ct)
    {
        if (p.Command != NbdCommand.BlockStatus) throw Violation($"sent a BLOCK_STATUS chunk for a {p.Command} request");
        if (length < 12 || (length - 4) % 8 != 0 || length > MaxBlockStatusChunk)
            throw Violation($"sent a BLOCK_STATUS chunk of {length} bytes (must be 4 + 8N, N ≥ 1)");
        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, ct).ConfigureAwait(false);
        uint id = BinaryPrimitives.ReadUInt32BigEndian(payload);
        if (contextId is null || id != contextId) throw Violation($"sent block status for context {id}, which was not selected");
        if (p.Extents is not null) throw Violation("sent two BLOCK_STATUS chunks for one context");

        var extents = new List<BlockExtent>();
        long pos = p.Offset;
        long end = p.Offset + p.Length;
        for (int i = 4; i < payload.Length && pos < end; i += 8)
        {
            uint len = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(i));
            var state = (NbdAllocationState)BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(i + 4));
            if (len == 0) throw Violation("sent a block-status extent of length 0");
            var ef = ((state & NbdAllocationState.Hole) != 0 ? ExtentFlags.Hole : ExtentFlags.Data)
                   | ((state & NbdAllocationState.Zero) != 0 ? ExtentFlags.Zero : ExtentFlags.Data);
            // The last extent may run past the request (§7.3); the caller gets at most what it asked for.
            long take = Math.Min(len, end - pos);
            extents.Add(new BlockExtent(pos, take, ef));
            pos += take;
        }
        p.Extents = extents;
    }

    // ERROR: u32 error (≠ 0), u16 message length M, M bytes message.
    // ERROR_OFFSET: the same, then u64 offset (length ≥ 14).
    private async ValueTask ErrorChunkAsync(NbdPendingRequest p, NbdReplyChunkType type, uint length, CancellationToken ct)
    {
        if (length < 6 || length > MaxErrorChunk) throw Violation($"sent an error chunk of {length} bytes");
        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, ct).ConfigureAwait(false);
        var error = (NbdError)BinaryPrimitives.ReadUInt32BigEndian(payload);
        int m = BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(4));
        if (error == NbdError.None) throw Violation("sent an error chunk with error 0");
        if (m > length - 6) throw Violation($"sent an error message of {m} bytes in a {length}-byte chunk");
        string message = Encoding.UTF8.GetString(payload, 6, m);
        if (type == NbdReplyChunkType.ErrorOffset)
        {
            if (length != 6 + m + 8) throw Violation($"sent an ERROR_OFFSET chunk of {length} bytes with a {m}-byte message");
            ulong at = BinaryPrimitives.ReadUInt64BigEndian(payload.AsSpan(6 + m));
            message = message.Length > 0 ? $"{message}, at offset {at}" : $"at offset {at}";
        }
        p.RecordError(error, message);
    }

    private NbdPendingRequest Lookup(ulong cookie) =>
        pending.TryGetValue(cookie, out var p) ? p : throw Violation($"sent a reply for cookie {cookie}, which has no request in flight");

    private long CheckRange(NbdPendingRequest p, ulong offset, uint count)
    {
        ulong start = offset - (ulong)p.Offset;  // wraps to huge when offset < request offset
        if (count == 0 || offset < (ulong)p.Offset || start > p.Length || count > p.Length - start)
            throw Violation($"sent {count} bytes at offset {offset} for a READ of {p.Length} bytes at {p.Offset}");
        p.Covered += count;
        if (p.Covered > p.Length) throw Violation($"sent overlapping READ chunks for offset {p.Offset}");
        return (long)start;
    }

    private async ValueTask FillAsync(NbdPendingRequest p, long start, int count, CancellationToken ct)
    {
        bool filled = await p.TryFillAsync(m => stream.ReadExactlyAsync(m, ct), start, count).ConfigureAwait(false);
        if (filled) return;
        // The caller gave up waiting: the bytes still have to leave the socket.
        while (count > 0)
        {
            int k = Math.Min(count, _discard.Length);
            await stream.ReadExactlyAsync(_discard.AsMemory(0, k), ct).ConfigureAwait(false);
            count -= k;
        }
    }

    private void Finish(NbdPendingRequest p)
    {
        // Checked before the request leaves the table, so a violation here fails it with the rest.
        if (p.Error == NbdError.None)
        {
            if (p.Command == NbdCommand.Read && p.Covered != p.Length)
                throw Violation($"finished a READ of {p.Length} bytes at {p.Offset} after only {p.Covered} bytes");
            if (p.Command == NbdCommand.BlockStatus && p.Extents is null)
                throw Violation($"finished BLOCK_STATUS at {p.Offset} without extents");
        }
        pending.TryRemove(p.Cookie, out _);
        p.Complete(address);
    }

    private NbdProtocolException Violation(string what) => new($"nbd server at {address} {what}");
}
