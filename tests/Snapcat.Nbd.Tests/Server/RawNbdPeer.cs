using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Tests.Server;

/// <summary>
/// A hand-driven NBD client speaking raw bytes, to test what real clients never send: bad lengths,
/// read-only writes, out-of-range requests, garbage. Every read has a deadline so a test fails
/// instead of hanging.
/// </summary>
internal sealed class RawNbdPeer : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private Stream _s;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private RawNbdPeer(TcpClient tcp)
    {
        _tcp = tcp;
        _s = tcp.GetStream();
    }

    public static async Task<RawNbdPeer> ConnectAsync(int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", port);
        return new RawNbdPeer(tcp);
    }

    public Task SendAsync(byte[] bytes) => _s.WriteAsync(bytes).AsTask();

    /// <summary>After the server's STARTTLS ACK: runs a TLS client handshake on the socket and talks inside TLS from then on.</summary>
    public async Task UpgradeToTlsAsync(System.Net.Security.RemoteCertificateValidationCallback validate)
    {
        var ssl = new System.Net.Security.SslStream(_s, leaveInnerStreamOpen: false, validate);
        using var cts = new CancellationTokenSource(Timeout);
        await ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "localhost" }, cts.Token);
        _s = ssl;
    }

    public async Task<byte[]> ReadAsync(int n)
    {
        var b = new byte[n];
        using var cts = new CancellationTokenSource(Timeout);
        await _s.ReadExactlyAsync(b, cts.Token);
        return b;
    }

    /// <summary>True when the server closed the connection (EOF or reset) within the deadline.</summary>
    public async Task<bool> IsClosedByServerAsync()
    {
        var b = new byte[4096];
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            while (true)
                if (await _s.ReadAsync(b, cts.Token) == 0) return true;
        }
        catch (IOException) { return true; }
        catch (OperationCanceledException) { return false; }
    }

    /// <summary>Reads the 18-byte greeting and answers with the client flags.</summary>
    public async Task<ushort> GreetAsync(uint clientFlags = 3)
    {
        var g = await ReadAsync(18);
        Assert.Equal(NbdMagic.NbdMagicInit, BinaryPrimitives.ReadUInt64BigEndian(g));
        Assert.Equal(NbdMagic.IHaveOpt, BinaryPrimitives.ReadUInt64BigEndian(g.AsSpan(8)));
        var f = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(f, clientFlags);
        await SendAsync(f);
        return BinaryPrimitives.ReadUInt16BigEndian(g.AsSpan(16));
    }

    public Task SendOptionAsync(uint option, byte[] data)
    {
        var b = new byte[NbdOptionRequest.Size + data.Length];
        new NbdOptionRequest(option, (uint)data.Length).Write(b);
        data.CopyTo(b, NbdOptionRequest.Size);
        return SendAsync(b);
    }

    public async Task<(NbdOptionReply Header, byte[] Data)> ReadOptionReplyAsync()
    {
        var h = NbdOptionReply.Parse(await ReadAsync(NbdOptionReply.Size));
        return (h, await ReadAsync((int)h.Length));
    }

    public static byte[] GoData(string name, params NbdInfoType[] infos)
    {
        var n = Encoding.UTF8.GetBytes(name);
        var b = new byte[4 + n.Length + 2 + 2 * infos.Length];
        BinaryPrimitives.WriteUInt32BigEndian(b, (uint)n.Length);
        n.CopyTo(b, 4);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4 + n.Length), (ushort)infos.Length);
        for (int i = 0; i < infos.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(6 + n.Length + 2 * i), (ushort)infos[i]);
        return b;
    }

    /// <summary>Full handshake ending in GO; returns export size and transmission flags.</summary>
    public async Task<(ulong Size, NbdTransmissionFlags Flags)> GoAsync(string export, bool structured = false)
    {
        await GreetAsync();
        if (structured)
        {
            await SendOptionAsync((uint)NbdOption.StructuredReply, []);
            Assert.Equal(NbdOptionReplyType.Ack, (await ReadOptionReplyAsync()).Header.Type);
        }
        await SendOptionAsync((uint)NbdOption.Go, GoData(export));
        ulong size = 0;
        NbdTransmissionFlags flags = 0;
        while (true)
        {
            var (h, d) = await ReadOptionReplyAsync();
            if (h.Type == NbdOptionReplyType.Ack) return (size, flags);
            Assert.Equal(NbdOptionReplyType.Info, h.Type);
            if (BinaryPrimitives.ReadUInt16BigEndian(d) == (ushort)NbdInfoType.Export)
            {
                size = BinaryPrimitives.ReadUInt64BigEndian(d.AsSpan(2));
                flags = (NbdTransmissionFlags)BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(10));
            }
        }
    }

    public Task SendRequestAsync(NbdCommand cmd, ulong cookie, ulong offset, uint length, byte[]? payload = null, NbdCommandFlags flags = 0, ushort? rawType = null)
    {
        var b = new byte[NbdRequest.Size + (payload?.Length ?? 0)];
        new NbdRequest(flags, rawType ?? (ushort)cmd, cookie, offset, length).Write(b);
        payload?.CopyTo(b, NbdRequest.Size);
        return SendAsync(b);
    }

    public sealed record Reply(ulong Cookie, NbdError Error, bool Structured, NbdReplyChunkType Type, byte[] Payload);

    /// <summary>
    /// Reads one simple reply or structured chunk. A simple reply carries data only for a successful
    /// READ, whose length the caller must know (<paramref name="simpleReadLength"/>), as in §8.1.
    /// </summary>
    public async Task<Reply> ReadReplyAsync(int simpleReadLength = 0)
    {
        var m = await ReadAsync(4);
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(m);
        if (magic == NbdMagic.SimpleReply)
        {
            var r = await ReadAsync(12);
            var err = (NbdError)BinaryPrimitives.ReadUInt32BigEndian(r);
            ulong cookie = BinaryPrimitives.ReadUInt64BigEndian(r.AsSpan(4));
            var data = err == NbdError.None && simpleReadLength > 0 ? await ReadAsync(simpleReadLength) : [];
            return new Reply(cookie, err, false, NbdReplyChunkType.None, data);
        }
        Assert.Equal(NbdMagic.StructuredReply, magic);
        var h = await ReadAsync(16);
        var type = (NbdReplyChunkType)BinaryPrimitives.ReadUInt16BigEndian(h.AsSpan(2));
        ulong c = BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(4));
        var payload = await ReadAsync((int)BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(12)));
        var e = ((ushort)type & 0x8000) != 0 ? (NbdError)BinaryPrimitives.ReadUInt32BigEndian(payload) : NbdError.None;
        return new Reply(c, e, true, type, payload);
    }

    public async ValueTask DisposeAsync()
    {
        await _s.DisposeAsync();
        _tcp.Dispose();
    }
}
