using System.Buffers.Binary;
using System.Text;
using Snapcat.Core.Errors;
using Snapcat.Nbd.Protocol;
using Snapcat.Nbd.Server;

namespace Snapcat.Nbd.Client;

/// <summary>What option haggling settled for a connection that enters transmission.</summary>
internal sealed record NbdNegotiation(NbdExportDetails Export, bool StructuredReplies, uint? BaseAllocationId);

/// <summary>The option flows of the fixed-newstyle handshake (§3) used by connect, Inquiry and list.</summary>
internal static class NbdHandshake
{
    private static readonly NbdInfoType[] WantedInfo = [NbdInfoType.Name, NbdInfoType.Description, NbdInfoType.BlockSize];

    /// <summary>STRUCTURED_REPLY → SET_META_CONTEXT base:allocation → GO (or EXPORT_NAME).</summary>
    public static async Task<NbdNegotiation> NegotiateAsync(NbdOptionChannel ch, string exportName, NbdClientOptions options, CancellationToken ct)
    {
        bool structured = options.StructuredReplies && await TryStructuredRepliesAsync(ch, ct).ConfigureAwait(false);
        uint? context = structured ? await SetBaseAllocationAsync(ch, exportName, ct).ConfigureAwait(false) : null;

        if (!options.ForceExportName)
        {
            var (info, error) = await RequestExportAsync(ch, NbdOption.Go, exportName, ct).ConfigureAwait(false);
            if (info is not null) return new NbdNegotiation(info, structured, context);
            if (error!.Value.Type != NbdOptionReplyType.ErrUnsup) throw Refused(ch.Address, error.Value, exportName);
            // GO unsupported: only EXPORT_NAME is left (§3.6); it keeps structured replies and contexts.
        }
        var export = await ExportNameAsync(ch, exportName, ct).ConfigureAwait(false);
        return new NbdNegotiation(export, structured, context);
    }

    private static async Task<bool> TryStructuredRepliesAsync(NbdOptionChannel ch, CancellationToken ct)
    {
        await ch.SendAsync(NbdOption.StructuredReply, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
        var r = await ch.ReadReplyAsync(NbdOption.StructuredReply, ct).ConfigureAwait(false);
        if (r.Type == NbdOptionReplyType.Ack) return true;
        if (r.Type == NbdOptionReplyType.ErrTlsReqd) throw TlsRequired(ch.Address, NbdOption.StructuredReply, r.Message.Length > 0 ? $": {r.Message}" : "");
        if (r.IsError) return false;
        throw new NbdProtocolException($"nbd server at {ch.Address} answered STRUCTURED_REPLY with reply type {(uint)r.Type}");
    }

    // SET_META_CONTEXT data (§3.10): u32 name length, name, u32 query count, per query u32 length + text.
    private static async Task<uint?> SetBaseAllocationAsync(NbdOptionChannel ch, string exportName, CancellationToken ct)
    {
        byte[] name = Encoding.UTF8.GetBytes(exportName);
        byte[] query = Encoding.UTF8.GetBytes(NbdLimits.BaseAllocation);
        var data = new byte[4 + name.Length + 4 + 4 + query.Length];
        BinaryPrimitives.WriteUInt32BigEndian(data, (uint)name.Length);
        name.CopyTo(data, 4);
        int p = 4 + name.Length;
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(p), 1);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(p + 4), (uint)query.Length);
        query.CopyTo(data, p + 8);
        await ch.SendAsync(NbdOption.SetMetaContext, data, ct).ConfigureAwait(false);

        uint? id = null;
        while (true)
        {
            var r = await ch.ReadReplyAsync(NbdOption.SetMetaContext, ct).ConfigureAwait(false);
            switch (r.Type)
            {
                case NbdOptionReplyType.MetaContext:
                    if (r.Data.Length < 4)
                        throw new NbdProtocolException($"nbd server at {ch.Address} sent a {r.Data.Length}-byte META_CONTEXT reply (needs 4 + name)");
                    string ctxName = Encoding.UTF8.GetString(r.Data, 4, r.Data.Length - 4);
                    if (ctxName != NbdLimits.BaseAllocation)
                        throw new NbdProtocolException($"nbd server at {ch.Address} selected context '{ctxName}', which was not asked for");
                    id = BinaryPrimitives.ReadUInt32BigEndian(r.Data);
                    break;
                case NbdOptionReplyType.Ack:
                    return id;
                default:
                    if (r.Type == NbdOptionReplyType.ErrTlsReqd) throw TlsRequired(ch.Address, NbdOption.SetMetaContext, r.Message.Length > 0 ? $": {r.Message}" : "");
                    // On error the selection is empty (§3.10); block status then falls back to "all data".
                    if (r.IsError) return null;
                    throw new NbdProtocolException($"nbd server at {ch.Address} answered SET_META_CONTEXT with reply type {(uint)r.Type}");
            }
        }
    }

    // INFO/GO data (§3.8): u32 name length, name, u16 request count, u16 info types.
    public static async Task<(NbdExportDetails? Info, NbdOptionReply? Error)> RequestExportAsync(
        NbdOptionChannel ch, NbdOption option, string exportName, CancellationToken ct)
    {
        byte[] name = Encoding.UTF8.GetBytes(exportName);
        var data = new byte[4 + name.Length + 2 + 2 * WantedInfo.Length];
        BinaryPrimitives.WriteUInt32BigEndian(data, (uint)name.Length);
        name.CopyTo(data, 4);
        int p = 4 + name.Length;
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(p), (ushort)WantedInfo.Length);
        for (int i = 0; i < WantedInfo.Length; i++)
            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(p + 2 + 2 * i), (ushort)WantedInfo[i]);
        await ch.SendAsync(option, data, ct).ConfigureAwait(false);

        var info = new InfoBuilder(exportName);
        while (true)
        {
            var r = await ch.ReadReplyAsync(option, ct).ConfigureAwait(false);
            if (r.Type == NbdOptionReplyType.Info)
            {
                info.Apply(r.Data, ch.Address);
                continue;
            }
            if (r.Type == NbdOptionReplyType.Ack)
            {
                if (info.Size is null)
                    throw new NbdProtocolException($"nbd server at {ch.Address} acknowledged {option} without NBD_INFO_EXPORT");
                return (info.Build(ch.Address), null);
            }
            if (r.IsError) return (null, r);
            throw new NbdProtocolException($"nbd server at {ch.Address} answered {option} with reply type {(uint)r.Type}");
        }
    }

    // EXPORT_NAME reply (§3.6): u64 size, u16 transmission flags, 124 zero bytes unless NO_ZEROES.
    private static async Task<NbdExportDetails> ExportNameAsync(NbdOptionChannel ch, string exportName, CancellationToken ct)
    {
        await ch.SendAsync(NbdOption.ExportName, Encoding.UTF8.GetBytes(exportName), ct).ConfigureAwait(false);
        var buf = new byte[ch.NoZeroes ? 10 : 134];
        try
        {
            await ch.Stream.ReadExactlyAsync(buf, ct).ConfigureAwait(false);
        }
        catch (EndOfStreamException ex)
        {
            // EXPORT_NAME cannot be refused with a reply: the server just hangs up.
            throw new SnapcatException(ErrorKind.NotFound, "nbd.export_not_found",
                $"nbd server at {ch.Address} has no export '{exportName}' (it closed the connection on NBD_OPT_EXPORT_NAME)", ex);
        }
        ulong size = BinaryPrimitives.ReadUInt64BigEndian(buf);
        if (size > long.MaxValue)
            throw new NbdProtocolException($"nbd server at {ch.Address} announced an export of {size} bytes");
        var flags = (NbdTransmissionFlags)BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(8));
        return new NbdExportDetails(ch.Address, exportName, null, (long)size, flags, null);
    }

    /// <summary>NBD_OPT_LIST (§3.9): one SERVER reply per export, then ACK.</summary>
    public static async Task<IReadOnlyList<NbdExportListing>> ListAsync(NbdOptionChannel ch, CancellationToken ct)
    {
        await ch.SendAsync(NbdOption.List, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
        var list = new List<NbdExportListing>();
        while (true)
        {
            var r = await ch.ReadReplyAsync(NbdOption.List, ct).ConfigureAwait(false);
            if (r.Type == NbdOptionReplyType.Ack) return list;
            if (r.IsError) throw Refused(ch.Address, r, null);
            if (r.Type != NbdOptionReplyType.Server)
                throw new NbdProtocolException($"nbd server at {ch.Address} answered LIST with reply type {(uint)r.Type}");
            // SERVER data: u32 name length N, N bytes name, the rest is the description.
            if (r.Data.Length < 4)
                throw new NbdProtocolException($"nbd server at {ch.Address} sent a {r.Data.Length}-byte SERVER reply");
            uint n = BinaryPrimitives.ReadUInt32BigEndian(r.Data);
            if (n > r.Data.Length - 4)
                throw new NbdProtocolException($"nbd server at {ch.Address} sent an export name of {n} bytes in a {r.Data.Length}-byte SERVER reply");
            list.Add(new NbdExportListing(
                Encoding.UTF8.GetString(r.Data, 4, (int)n),
                Encoding.UTF8.GetString(r.Data, 4 + (int)n, r.Data.Length - 4 - (int)n)));
        }
    }

    /// <summary>Soft disconnect (§3.13): ABORT, then accept an ACK or a plain hang-up.</summary>
    public static async Task AbortAsync(NbdOptionChannel ch, CancellationToken ct)
    {
        try
        {
            await ch.SendAsync(NbdOption.Abort, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
            await ch.ReadReplyAsync(NbdOption.Abort, ct).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // Older servers close without the ACK; either way the session is over.
        }
    }

    public static SnapcatException Refused(NbdAddress address, NbdOptionReply r, string? exportName)
    {
        string detail = r.Message.Length > 0 ? $": {r.Message}" : "";
        return r.Type switch
        {
            NbdOptionReplyType.ErrUnknown when exportName is not null => new SnapcatException(ErrorKind.NotFound, "nbd.export_not_found",
                $"nbd server at {address} has no export '{exportName}'{detail}"),
            NbdOptionReplyType.ErrPolicy => new SnapcatException(ErrorKind.Remote, "nbd.option_refused",
                $"nbd server at {address} refused {r.Option} by policy{detail}"),
            NbdOptionReplyType.ErrTlsReqd => TlsRequired(address, r.Option, detail),
            NbdOptionReplyType.ErrShutdown => new SnapcatException(ErrorKind.Remote, "nbd.server_shutdown",
                $"nbd server at {address} is shutting down{detail}"),
            _ => new SnapcatException(ErrorKind.Remote, "nbd.option_refused",
                $"nbd server at {address} refused {r.Option} with {r.Type} (0x{(uint)r.Type:x8}){detail}"),
        };
    }

    /// <summary>ERR_TLS_REQD (§3.12): the port only serves clients that have started TLS, and this one has not.</summary>
    public static SnapcatException TlsRequired(NbdAddress address, NbdOption option, string detail) =>
        new(ErrorKind.Unauthorized, "nbd.tls_required",
            $"the NBD server at {address} requires TLS (it answered {option} with ERR_TLS_REQD{detail}); configure TLS credentials for it " +
            "(an \"nbdTls\" block with pskFile and username, or caFile/fingerprint) or connect with nbds:// and tls-psk-file/tls-certificates");

    private sealed class InfoBuilder(string requestedName)
    {
        private string? _name;
        private string? _description;
        private NbdBlockSizes? _blockSizes;
        private NbdTransmissionFlags _flags;

        public ulong? Size { get; private set; }

        // NBD_REP_INFO data (§3.8): u16 type, then
        //   EXPORT      u64 size, u16 transmission flags      (length exactly 12)
        //   NAME        string                                 (length ≥ 2)
        //   DESCRIPTION string                                 (length ≥ 2)
        //   BLOCK_SIZE  u32 minimum, u32 preferred, u32 max    (length exactly 14)
        public void Apply(byte[] d, NbdAddress address)
        {
            if (d.Length < 2) throw new NbdProtocolException($"nbd server at {address} sent a {d.Length}-byte INFO reply");
            var type = (NbdInfoType)BinaryPrimitives.ReadUInt16BigEndian(d);
            switch (type)
            {
                case NbdInfoType.Export:
                    if (d.Length != 12) throw new NbdProtocolException($"nbd server at {address} sent NBD_INFO_EXPORT of {d.Length} bytes (must be 12)");
                    Size = BinaryPrimitives.ReadUInt64BigEndian(d.AsSpan(2));
                    if (Size > long.MaxValue) throw new NbdProtocolException($"nbd server at {address} announced an export of {Size} bytes");
                    _flags = (NbdTransmissionFlags)BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(10));
                    break;
                case NbdInfoType.Name:
                    _name = Encoding.UTF8.GetString(d, 2, d.Length - 2);
                    break;
                case NbdInfoType.Description:
                    _description = Encoding.UTF8.GetString(d, 2, d.Length - 2);
                    break;
                case NbdInfoType.BlockSize:
                    if (d.Length != 14) throw new NbdProtocolException($"nbd server at {address} sent NBD_INFO_BLOCK_SIZE of {d.Length} bytes (must be 14)");
                    var b = new NbdBlockSizes(
                        BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(2)),
                        BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(6)),
                        BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(10)));
                    // Nonsense constraints are ignored as libnbd does, leaving the defaults of §5.
                    _blockSizes = b.IsValid ? b : null;
                    break;
                default:
                    break;  // unknown info types are ignorable by design (§3.8)
            }
        }

        public NbdExportDetails Build(NbdAddress address) =>
            new(address, _name ?? requestedName, _description, (long)Size!.Value, _flags, _blockSizes);
    }
}
