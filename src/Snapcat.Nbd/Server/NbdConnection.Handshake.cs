using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Snapcat.Nbd.Protocol;
using Snapcat.Nbd.Tls;

namespace Snapcat.Nbd.Server;

// Option haggling of the fixed-newstyle handshake (spec §3). Options are strictly sequential (§3.3:
// the client waits for the final reply), so this part uses the connection's scratch buffers freely.
internal sealed partial class NbdConnection
{
    /// <summary>Oversized option data up to this size is drained and refused with ERR_TOO_BIG; beyond it the peer is dropped.</summary>
    private const int OptionDrainLimit = 1 << 20;

    /// <summary>Context ID of base:allocation in SET replies and BLOCK_STATUS chunks (any u32 will do, §3.10).</summary>
    internal const uint AllocationContextId = 1;

    private enum Outcome { Continue, Transmit, End }

    /// <summary>Returns true when the transmission phase begins, false when the client ended the handshake.</summary>
    private async Task<bool> HandshakeAsync()
    {
        // §3.1 greeting: NBDMAGIC, IHAVEOPT, handshake flags.
        await SendAsync(Greeting).ConfigureAwait(false);

        // §3.2: unknown client bits MUST close the connection.
        if (!await TryReadExactlyAsync(_readBuf.AsMemory(0, 4)).ConfigureAwait(false)) return false;
        uint clientFlags = BinaryPrimitives.ReadUInt32BigEndian(_readBuf);
        const uint known = (uint)(NbdClientFlags.FixedNewstyle | NbdClientFlags.NoZeroes);
        if ((clientFlags & ~known) != 0) throw new NbdProtocolException($"unknown client flags 0x{clientFlags:x8}");
        _noZeroes = (clientFlags & (uint)NbdClientFlags.NoZeroes) != 0;

        while (true)
        {
            if (!await TryReadExactlyAsync(_readBuf.AsMemory(0, NbdOptionRequest.Size)).ConfigureAwait(false)) return false;
            var opt = NbdOptionRequest.Parse(_readBuf);

            // Check the declared length before buffering anything (§3.3 allows ERR_TOO_BIG or a hard disconnect).
            if (opt.Length > NbdLimits.MaxOptionLength)
            {
                if (opt.Option == (uint)NbdOption.ExportName || opt.Length > OptionDrainLimit)
                    throw new NbdProtocolException($"option {opt.Option} declares {opt.Length} bytes of data");
                await SkipAsync(opt.Length).ConfigureAwait(false);
                await ErrorAsync(opt.Option, NbdOptionReplyType.ErrTooBig, $"option data of {opt.Length} bytes exceeds {NbdLimits.MaxOptionLength}").ConfigureAwait(false);
                continue;
            }

            int len = (int)opt.Length;
            byte[] data = ArrayPool<byte>.Shared.Rent(len);
            try
            {
                await ReadExactlyAsync(data.AsMemory(0, len)).ConfigureAwait(false);
                var outcome = await HandleOptionAsync(opt.Option, data.AsMemory(0, len)).ConfigureAwait(false);
                if (outcome != Outcome.Continue) return outcome == Outcome.Transmit;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(data);
            }
        }
    }

    private NbdTlsMode EffectiveTlsMode => TlsCredentials is null ? NbdTlsMode.Off : TlsMode;

    private async ValueTask<Outcome> HandleOptionAsync(uint option, ReadOnlyMemory<byte> data)
    {
        // §3.12 FORCEDTLS: until TLS is up only STARTTLS and ABORT are served.
        if (EffectiveTlsMode == NbdTlsMode.Require && !_tlsActive
            && option != (uint)NbdOption.StartTls && option != (uint)NbdOption.Abort)
        {
            _log.TlsRequired(_peer, option);
            // §3.6: EXPORT_NAME has no error reply; the server just closes.
            if (option == (uint)NbdOption.ExportName) return Outcome.End;
            await ErrorAsync(option, NbdOptionReplyType.ErrTlsReqd, "this port requires TLS: send NBD_OPT_STARTTLS first").ConfigureAwait(false);
            return Outcome.Continue;
        }

        switch ((NbdOption)option)
        {
            case NbdOption.ExportName:
                return await ExportNameAsync(Encoding.UTF8.GetString(data.Span)).ConfigureAwait(false);

            case NbdOption.Abort:
                // §3.13: ACK then close; the client may already be gone, which SendAsync tolerates.
                await ReplyAsync(option, NbdOptionReplyType.Ack, default).ConfigureAwait(false);
                return Outcome.End;

            case NbdOption.List:
                if (data.Length != 0) return await InvalidAsync(option, "LIST takes no data").ConfigureAwait(false);
                foreach (var e in _catalog.List(_identity))
                {
                    if (FormatServerEntry(e) is { } entry)
                        await ReplyAsync(option, NbdOptionReplyType.Server, entry).ConfigureAwait(false);
                }
                await ReplyAsync(option, NbdOptionReplyType.Ack, default).ConfigureAwait(false);
                return Outcome.Continue;

            case NbdOption.StartTls:
                return await StartTlsAsync(option, data.Length).ConfigureAwait(false);

            case NbdOption.Info:
            case NbdOption.Go:
                return await InfoOrGoAsync(option, data).ConfigureAwait(false);

            case NbdOption.StructuredReply:
                if (data.Length != 0) return await InvalidAsync(option, "STRUCTURED_REPLY takes no data").ConfigureAwait(false);
                _structured = true;
                await ReplyAsync(option, NbdOptionReplyType.Ack, default).ConfigureAwait(false);
                return Outcome.Continue;

            case NbdOption.ListMetaContext:
            case NbdOption.SetMetaContext:
                return await MetaContextAsync(option, data).ConfigureAwait(false);

            default:
                // PEEK_EXPORT (withdrawn), EXTENDED_HEADERS (§13: safe to refuse) and unknown options.
                await ErrorAsync(option, NbdOptionReplyType.ErrUnsup, $"option {option} is not supported").ConfigureAwait(false);
                return Outcome.Continue;
        }
    }

    /// <summary>
    /// §3.12: ACK, then the TLS handshake on the same socket, then option haggling goes on inside TLS
    /// with every earlier choice forgotten. The handshake deadline keeps running through the TLS
    /// handshake, so a peer that stalls there is dropped like one that stalls between options.
    /// </summary>
    private async ValueTask<Outcome> StartTlsAsync(uint option, int dataLength)
    {
        if (dataLength != 0) return await InvalidAsync(option, "STARTTLS takes no data").ConfigureAwait(false);
        var credentials = TlsCredentials;
        if (EffectiveTlsMode == NbdTlsMode.Off || credentials is null || !ReferenceEquals(_input, _output))
        {
            // §3.12: a server without TLS answers ERR_POLICY and never sends ERR_TLS_REQD.
            await ErrorAsync(option, NbdOptionReplyType.ErrPolicy, "TLS is not offered by this server").ConfigureAwait(false);
            return Outcome.Continue;
        }
        if (_tlsActive) return await InvalidAsync(option, "TLS is already active").ConfigureAwait(false);
        // The client must wait for our ACK before its ClientHello (§3.3). Bytes already here were sent
        // in the clear before TLS: taking them as TLS input would let a man in the middle inject them
        // (the STARTTLS command-injection flaw of SMTP), so the connection goes.
        if (Buffered != 0) throw new NbdProtocolException("bytes followed NBD_OPT_STARTTLS before the server's reply");

        await ReplyAsync(option, NbdOptionReplyType.Ack, default).ConfigureAwait(false);
        NbdTlsSession session;
        try
        {
            session = await credentials.AuthenticateAsync(_input, Ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException or IOException && !Ct.IsCancellationRequested)
        {
            _log.TlsFailed(_peer, credentials.Kind, ex.Message);
            return Outcome.End;
        }
        _input = _output = session.Stream;
        _tlsActive = true;
        _identity = session.Identity;
        if (Volatile.Read(ref _broken) != 0) session.Stream.Dispose();  // Break ran during the handshake
        _structured = false;
        _metaExport = null;
        _allocationSelected = false;
        _log.TlsStarted(_peer, session.Description, session.Identity ?? "");
        return Outcome.Continue;
    }

    // §3.6: EXPORT_NAME cannot fail politely; an unknown export closes the connection.
    private async ValueTask<Outcome> ExportNameAsync(string name)
    {
        var handle = await _catalog.OpenAsync(name, _identity, Ct).ConfigureAwait(false);
        if (handle is null)
        {
            _log.UnknownExport(_peer, name);
            return Outcome.End;
        }
        BeginTransmission(handle, name);
        int n = _noZeroes ? 10 : 134;
        WriteBuf.AsSpan(0, n).Clear();
        BinaryPrimitives.WriteUInt64BigEndian(WriteBuf, (ulong)handle.Device.Size);
        BinaryPrimitives.WriteUInt16BigEndian(WriteBuf.AsSpan(8), (ushort)TransmissionFlags(handle));
        await SendAsync(WriteBuf.AsMemory(0, n)).ConfigureAwait(false);
        return Outcome.Transmit;
    }

    /// <summary>
    /// §3.8 request: u32 name length N, N name bytes, u16 count K, K × u16 info type; N + 6 + 2K = length.
    /// </summary>
    private async ValueTask<Outcome> InfoOrGoAsync(uint option, ReadOnlyMemory<byte> data)
    {
        var d = data.Span;
        if (d.Length < 6) return await InvalidAsync(option, "INFO/GO data is shorter than 6 bytes").ConfigureAwait(false);
        uint nameLen = BinaryPrimitives.ReadUInt32BigEndian(d);
        if (nameLen > (uint)(d.Length - 6) || nameLen > NbdLimits.MaxStringLength)
            return await InvalidAsync(option, "export name length runs past the option data").ConfigureAwait(false);
        int k = BinaryPrimitives.ReadUInt16BigEndian(d[(4 + (int)nameLen)..]);
        if (4 + (int)nameLen + 2 + 2 * k != d.Length)
            return await InvalidAsync(option, "information request count does not match the option length").ConfigureAwait(false);
        string name = Encoding.UTF8.GetString(d.Slice(4, (int)nameLen));
        bool wantName = false, wantDescription = false;
        for (int i = 0; i < k; i++)
        {
            var t = (NbdInfoType)BinaryPrimitives.ReadUInt16BigEndian(d[(6 + (int)nameLen + 2 * i)..]);
            if (t == NbdInfoType.Name) wantName = true;
            else if (t == NbdInfoType.Description) wantDescription = true;
        }

        var handle = await _catalog.OpenAsync(name, _identity, Ct).ConfigureAwait(false);
        if (handle is null)
        {
            _log.UnknownExport(_peer, name);
            await ErrorAsync(option, NbdOptionReplyType.ErrUnknown, $"no export named '{name}'").ConfigureAwait(false);
            return Outcome.Continue;
        }
        bool keep = false;
        try
        {
            await SendInfoAsync(option, handle, wantName, wantDescription).ConfigureAwait(false);
            await ReplyAsync(option, NbdOptionReplyType.Ack, default).ConfigureAwait(false);
            if (option == (uint)NbdOption.Go)
            {
                BeginTransmission(handle, name);
                keep = true;
                return Outcome.Transmit;
            }
            return Outcome.Continue;
        }
        finally
        {
            if (!keep) await handle.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask SendInfoAsync(uint option, NbdExportHandle handle, bool wantName, bool wantDescription)
    {
        Span<byte> b = stackalloc byte[14];
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)NbdInfoType.Export);
        BinaryPrimitives.WriteUInt64BigEndian(b[2..], (ulong)handle.Device.Size);
        BinaryPrimitives.WriteUInt16BigEndian(b[10..], (ushort)TransmissionFlags(handle));
        await ReplyAsync(option, NbdOptionReplyType.Info, b[..12]).ConfigureAwait(false);

        // §5 recommended advertisement: min 1 (any file size), preferred 4096, max 32 MiB.
        var bs = new byte[14];
        BinaryPrimitives.WriteUInt16BigEndian(bs, (ushort)NbdInfoType.BlockSize);
        BinaryPrimitives.WriteUInt32BigEndian(bs.AsSpan(2), 1);
        BinaryPrimitives.WriteUInt32BigEndian(bs.AsSpan(6), 4096);
        BinaryPrimitives.WriteUInt32BigEndian(bs.AsSpan(10), NbdLimits.MaxPayload);
        await ReplyAsync(option, NbdOptionReplyType.Info, bs).ConfigureAwait(false);

        if (wantName) await InfoStringAsync(option, NbdInfoType.Name, handle.Name).ConfigureAwait(false);
        if (wantDescription && handle.Description.Length > 0)
            await InfoStringAsync(option, NbdInfoType.Description, handle.Description).ConfigureAwait(false);
    }

    private ValueTask InfoStringAsync(uint option, NbdInfoType type, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length > NbdLimits.MaxStringLength) return ValueTask.CompletedTask;  // §3: strings MUST be ≤ 4096 bytes
        var payload = new byte[2 + bytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)type);
        bytes.CopyTo(payload, 2);
        return ReplyAsync(option, NbdOptionReplyType.Info, payload);
    }

    /// <summary>§3.9 NBD_REP_SERVER data: u32 name length, name, then the description as the rest.</summary>
    private static byte[]? FormatServerEntry(NbdExportListing e)
    {
        var name = Encoding.UTF8.GetBytes(e.Name);
        var desc = Encoding.UTF8.GetBytes(e.Description);
        if (name.Length > NbdLimits.MaxStringLength) return null;
        if (desc.Length > NbdLimits.MaxStringLength) desc = [];
        var b = new byte[4 + name.Length + desc.Length];
        BinaryPrimitives.WriteUInt32BigEndian(b, (uint)name.Length);
        name.CopyTo(b, 4);
        desc.CopyTo(b, 4 + name.Length);
        return b;
    }

    private void BeginTransmission(NbdExportHandle handle, string requestedName)
    {
        _export = handle;
        _exportName = requestedName;
        _exportCount?.Invoke(handle.Name, +1);
        _log.ExportOpened(_peer, handle.Name, (ushort)TransmissionFlags(handle));
    }

    /// <summary>§4: computed per connection, because SEND_DF depends on structured replies.</summary>
    private NbdTransmissionFlags TransmissionFlags(NbdExportHandle h)
    {
        var f = NbdTransmissionFlags.HasFlags | NbdTransmissionFlags.SendFlush | NbdTransmissionFlags.SendFua
            | NbdTransmissionFlags.SendTrim | NbdTransmissionFlags.SendWriteZeroes | NbdTransmissionFlags.SendFastZero
            | NbdTransmissionFlags.SendCache;
        if (_structured) f |= NbdTransmissionFlags.SendDf;
        if (h.ReadOnly) f |= NbdTransmissionFlags.ReadOnly;
        if (h.MultiConn) f |= NbdTransmissionFlags.CanMultiConn;
        return f;
    }

    /// <summary>Writes one option reply (header + data) from the handshake's scratch buffer.</summary>
    private ValueTask ReplyAsync(uint option, NbdOptionReplyType type, ReadOnlySpan<byte> data)
    {
        new NbdOptionReply(option, type, (uint)data.Length).Write(WriteBuf);
        data.CopyTo(WriteBuf.AsSpan(NbdOptionReply.Size));
        return SendAsync(WriteBuf.AsMemory(0, NbdOptionReply.Size + data.Length));
    }

    private ValueTask ErrorAsync(uint option, NbdOptionReplyType type, string message)
    {
        int m = Encoding.UTF8.GetBytes(message.Length > 1000 ? message[..1000] : message, WriteBuf.AsSpan(NbdOptionReply.Size));
        new NbdOptionReply(option, type, (uint)m).Write(WriteBuf);
        return SendAsync(WriteBuf.AsMemory(0, NbdOptionReply.Size + m));
    }

    private async ValueTask<Outcome> InvalidAsync(uint option, string message)
    {
        await ErrorAsync(option, NbdOptionReplyType.ErrInvalid, message).ConfigureAwait(false);
        return Outcome.Continue;
    }
}
