using Snapcat.TestKit;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Tests.Client;

/// <summary>
/// A scripted, possibly hostile NBD server on a raw socket: accepts one connection and runs the
/// test's script on it. Used to send what real servers never send.
/// </summary>
internal sealed class FakeNbdServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Task _run;
    private TcpClient? _client;

    private FakeNbdServer(Func<NetworkStream, Task> script)
    {
        // FreePort, not port 0: a port the kernel picks here could be one FreePort just handed to an nbdkit fixture.
        _listener = new TcpListener(IPAddress.Loopback, FreePort.Next());
        _listener.Start();
        Address = new NbdAddress("127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port);
        _run = RunAsync(script);
    }

    public NbdAddress Address { get; }

    public static FakeNbdServer Start(Func<NetworkStream, Task> script) => new(script);

    private async Task RunAsync(Func<NetworkStream, Task> script)
    {
        _client = await _listener.AcceptTcpClientAsync();
        try
        {
            await script(_client.GetStream());
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            // The client hung up on us, which is what these tests expect it to do.
        }
    }

    /// <summary>Waits until the client closes (or sends a byte): keeps the socket open meanwhile.</summary>
    public static Task UntilHangUpAsync(Stream s) => s.ReadAtLeastAsync(new byte[1], 1, throwOnEndOfStream: false).AsTask();

    public static async Task GreetAsync(Stream s)
    {
        var g = new byte[18];
        BinaryPrimitives.WriteUInt64BigEndian(g, NbdMagic.NbdMagicInit);
        BinaryPrimitives.WriteUInt64BigEndian(g.AsSpan(8), NbdMagic.IHaveOpt);
        BinaryPrimitives.WriteUInt16BigEndian(g.AsSpan(16), (ushort)(NbdHandshakeFlags.FixedNewstyle | NbdHandshakeFlags.NoZeroes));
        await s.WriteAsync(g);
        await s.ReadExactlyAsync(new byte[4]);
    }

    public static async Task<(NbdOption Option, byte[] Data)> ReadOptionAsync(Stream s)
    {
        var h = new byte[16];
        await s.ReadExactlyAsync(h);
        var data = new byte[BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(12))];
        await s.ReadExactlyAsync(data);
        return ((NbdOption)BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(8)), data);
    }

    public static async Task ReplyAsync(Stream s, NbdOption option, NbdOptionReplyType type, byte[]? data = null)
    {
        data ??= [];
        var h = new byte[20 + data.Length];
        BinaryPrimitives.WriteUInt64BigEndian(h, NbdMagic.OptionReply);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(8), (uint)option);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(12), (uint)type);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(16), (uint)data.Length);
        data.CopyTo(h, 20);
        await s.WriteAsync(h);
    }

    /// <summary>
    /// Plays a minimal server up to transmission: refuses structured replies, then answers GO with
    /// an export of <paramref name="size"/> bytes — or with ERR_UNSUP, serving EXPORT_NAME instead.
    /// </summary>
    public static async Task HandshakeAsync(Stream s, long size, bool goUnsupported = false)
    {
        await GreetAsync(s);
        var flags = NbdTransmissionFlags.HasFlags | NbdTransmissionFlags.SendFlush;
        while (true)
        {
            var (opt, _) = await ReadOptionAsync(s);
            switch (opt)
            {
                case NbdOption.Go when !goUnsupported:
                    var info = new byte[12];
                    BinaryPrimitives.WriteUInt16BigEndian(info, (ushort)NbdInfoType.Export);
                    BinaryPrimitives.WriteUInt64BigEndian(info.AsSpan(2), (ulong)size);
                    BinaryPrimitives.WriteUInt16BigEndian(info.AsSpan(10), (ushort)flags);
                    await ReplyAsync(s, opt, NbdOptionReplyType.Info, info);
                    await ReplyAsync(s, opt, NbdOptionReplyType.Ack);
                    return;
                case NbdOption.ExportName:
                    var r = new byte[10];
                    BinaryPrimitives.WriteUInt64BigEndian(r, (ulong)size);
                    BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(8), (ushort)flags);
                    await s.WriteAsync(r);
                    return;
                default:
                    await ReplyAsync(s, opt, NbdOptionReplyType.ErrUnsup);
                    break;
            }
        }
    }

    /// <summary>Reads one 28-byte request header: (type, cookie, offset, length).</summary>
    public static async Task<(NbdCommand Command, ulong Cookie, ulong Offset, uint Length)> ReadRequestAsync(Stream s)
    {
        var h = new byte[28];
        await s.ReadExactlyAsync(h);
        return ((NbdCommand)BinaryPrimitives.ReadUInt16BigEndian(h.AsSpan(6)), BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(8)),
            BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(16)), BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(24)));
    }

    public static byte[] SimpleReply(uint error, ulong cookie)
    {
        var r = new byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(r, NbdMagic.SimpleReply);
        BinaryPrimitives.WriteUInt32BigEndian(r.AsSpan(4), error);
        BinaryPrimitives.WriteUInt64BigEndian(r.AsSpan(8), cookie);
        return r;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _client?.Dispose();
        try { await _run.WaitAsync(TimeSpan.FromSeconds(10)); }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or TimeoutException) { }
    }
}
