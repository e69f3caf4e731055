using System.Buffers.Binary;
using Snapcat.Core.Errors;
using Snapcat.Nbd.Client;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Tests.Client;

public sealed class NbdClientHostileServerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Bad_greeting_magic_is_a_protocol_error()
    {
        await using var server = FakeNbdServer.Start(async s =>
        {
            await s.WriteAsync("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray());
            await FakeNbdServer.UntilHangUpAsync(s);
        });
        var ex = await Assert.ThrowsAsync<NbdProtocolException>(() => NbdClient.ConnectAsync(server.Address, "x").WaitAsync(Deadline));
        Assert.Equal(ErrorKind.Remote, ex.Kind);
        Assert.Contains("is not an nbd server", ex.Message);
    }

    /// <summary>
    /// A server that answers ESHUTDOWN to whatever is unanswered when DISC arrives (nbdkit may, with
    /// several worker threads): a polite disconnect must let the reads in flight finish first, so
    /// each gets its data. The fake gives the client 300 ms to send DISC early before it answers.
    /// </summary>
    [Fact]
    public async Task Disconnect_waits_for_reads_in_flight_before_sending_disc()
    {
        const int reads = 4;
        var sawEarlyDisc = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = FakeNbdServer.Start(async s =>
        {
            await FakeNbdServer.HandshakeAsync(s, 1 << 20);
            var pending = new List<(ulong Cookie, uint Length)>();
            for (int i = 0; i < reads; i++)
            {
                var (cmd, cookie, _, length) = await FakeNbdServer.ReadRequestAsync(s);
                Assert.Equal(NbdCommand.Read, cmd);
                pending.Add((cookie, length));
            }
            var next = FakeNbdServer.ReadRequestAsync(s);
            bool early = await Task.WhenAny(next, Task.Delay(300)) == next;
            sawEarlyDisc.TrySetResult(early);
            foreach (var (cookie, length) in pending)
            {
                await s.WriteAsync(FakeNbdServer.SimpleReply(early ? 108u /* ESHUTDOWN */ : 0u, cookie));
                if (!early) await s.WriteAsync(Enumerable.Repeat((byte)0x5a, (int)length).ToArray());
            }
            var (last, _, _, _) = await next;
            Assert.Equal(NbdCommand.Disconnect, last);
        });
        await using var c = await NbdClient.ConnectAsync(server.Address, "").WaitAsync(Deadline);
        var buffers = Enumerable.Range(0, reads).Select(_ => new byte[4096]).ToArray();
        var inFlight = Enumerable.Range(0, reads).Select(i => c.ReadAsync(i * 4096L, buffers[i]).AsTask()).ToArray();
        await c.DisconnectAsync().WaitAsync(Deadline);
        Assert.False(await sawEarlyDisc.Task.WaitAsync(Deadline), "DISC went out while reads were still in flight");
        await Task.WhenAll(inFlight).WaitAsync(Deadline);
        Assert.All(buffers, b => Assert.All(b, x => Assert.Equal(0x5a, x)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => c.ReadAsync(0, new byte[512]).AsTask());
    }

    [Fact]
    public async Task Silent_server_hits_the_handshake_timeout()
    {
        await using var server = FakeNbdServer.Start(async s => await FakeNbdServer.UntilHangUpAsync(s));
        var options = new NbdClientOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(500) };
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.ConnectAsync(server.Address, "x", options).WaitAsync(Deadline));
        Assert.Equal("nbd.handshake_timeout", ex.Code);
        Assert.Contains(server.Address.ToString(), ex.Message);
    }

    [Fact]
    public async Task Oversized_option_reply_is_refused_before_buffering()
    {
        await using var server = FakeNbdServer.Start(async s =>
        {
            await FakeNbdServer.GreetAsync(s);
            var (opt, _) = await FakeNbdServer.ReadOptionAsync(s);
            var h = new byte[20];
            BinaryPrimitives.WriteUInt64BigEndian(h, NbdMagic.OptionReply);
            BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(8), (uint)opt);
            BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(12), (uint)NbdOptionReplyType.Ack);
            BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(16), 0xFFFFFFF0);
            await s.WriteAsync(h);
            await FakeNbdServer.UntilHangUpAsync(s);
        });
        var ex = await Assert.ThrowsAsync<NbdProtocolException>(() => NbdClient.ConnectAsync(server.Address, "x").WaitAsync(Deadline));
        Assert.Contains("limit", ex.Message);
    }

    [Fact]
    public async Task Garbage_reply_breaks_the_connection_once_and_fails_every_request()
    {
        await using var server = FakeNbdServer.Start(async s =>
        {
            await FakeNbdServer.HandshakeAsync(s, 1 << 20);
            await FakeNbdServer.ReadRequestAsync(s);
            await FakeNbdServer.ReadRequestAsync(s);
            await s.WriteAsync(Enumerable.Repeat((byte)0xA5, 64).ToArray());
            await FakeNbdServer.UntilHangUpAsync(s);
        });
        await using var c = await NbdClient.ConnectAsync(server.Address, "x").WaitAsync(Deadline);
        Assert.Equal(1L << 20, c.Size);

        var first = c.ReadAsync(0, new byte[512]).AsTask();
        var second = c.ReadAsync(512, new byte[512]).AsTask();
        var ex = await Assert.ThrowsAsync<NbdProtocolException>(() => first.WaitAsync(Deadline));
        Assert.Contains("bad magic 0xa5a5a5a5", ex.Message);
        // The one violation fails the other request in flight with the same cause.
        Assert.Same(ex, await Assert.ThrowsAsync<NbdProtocolException>(() => second.WaitAsync(Deadline)));
        Assert.True(c.IsBroken);

        var later = await Assert.ThrowsAsync<SnapcatException>(() => c.ReadAsync(0, new byte[512]).AsTask());
        Assert.Equal("nbd.connection_broken", later.Code);
    }

    [Fact]
    public async Task Reply_for_an_unknown_cookie_is_a_protocol_error()
    {
        await using var server = FakeNbdServer.Start(async s =>
        {
            await FakeNbdServer.HandshakeAsync(s, 1 << 20);
            var req = await FakeNbdServer.ReadRequestAsync(s);
            await s.WriteAsync(FakeNbdServer.SimpleReply(0, req.Cookie + 1000));
            await FakeNbdServer.UntilHangUpAsync(s);
        });
        await using var c = await NbdClient.ConnectAsync(server.Address, "x").WaitAsync(Deadline);
        var ex = await Assert.ThrowsAsync<NbdProtocolException>(() => c.FlushAsync().AsTask().WaitAsync(Deadline));
        Assert.Contains("no request in flight", ex.Message);
    }

    [Fact]
    public async Task Server_hanging_up_mid_transmission_fails_the_request()
    {
        await using var server = FakeNbdServer.Start(async s =>
        {
            await FakeNbdServer.HandshakeAsync(s, 1 << 20);
            await FakeNbdServer.ReadRequestAsync(s);
            s.Close();
        });
        await using var c = await NbdClient.ConnectAsync(server.Address, "x").WaitAsync(Deadline);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => c.ReadAsync(0, new byte[512]).AsTask().WaitAsync(Deadline));
        Assert.Equal("nbd.connection_lost", ex.Code);
    }

    [Fact]
    public async Task Go_unsupported_falls_back_to_export_name_and_out_of_order_simple_replies_match_by_cookie()
    {
        await using var server = FakeNbdServer.Start(async s =>
        {
            await FakeNbdServer.HandshakeAsync(s, 1 << 20, goUnsupported: true);
            var a = await FakeNbdServer.ReadRequestAsync(s);
            var b = await FakeNbdServer.ReadRequestAsync(s);
            // Answer the second request first, each with data made from its offset.
            foreach (var r in new[] { b, a })
            {
                await s.WriteAsync(FakeNbdServer.SimpleReply(0, r.Cookie));
                await s.WriteAsync(Enumerable.Repeat((byte)(r.Offset / 512 + 1), (int)r.Length).ToArray());
            }
            await FakeNbdServer.ReadRequestAsync(s);  // NBD_CMD_DISC
        });
        await using var c = await NbdClient.ConnectAsync(server.Address, "x").WaitAsync(Deadline);
        Assert.Equal("x", c.ExportName);
        var bufA = new byte[512];
        var bufB = new byte[512];
        await Task.WhenAll(c.ReadAsync(0, bufA).AsTask(), c.ReadAsync(512, bufB).AsTask()).WaitAsync(Deadline);
        Assert.All(bufA, x => Assert.Equal(1, x));
        Assert.All(bufB, x => Assert.Equal(2, x));
    }

    [Fact]
    public async Task Error_reply_carries_the_nbd_error_and_keeps_the_connection()
    {
        await using var server = FakeNbdServer.Start(async s =>
        {
            await FakeNbdServer.HandshakeAsync(s, 1 << 20);
            var r = await FakeNbdServer.ReadRequestAsync(s);
            await s.WriteAsync(FakeNbdServer.SimpleReply((uint)NbdError.Io, r.Cookie));
            r = await FakeNbdServer.ReadRequestAsync(s);
            await s.WriteAsync(FakeNbdServer.SimpleReply(0, r.Cookie));
            await FakeNbdServer.ReadRequestAsync(s);
        });
        await using var c = await NbdClient.ConnectAsync(server.Address, "x").WaitAsync(Deadline);
        var ex = await Assert.ThrowsAsync<NbdCommandException>(() => c.FlushAsync().AsTask().WaitAsync(Deadline));
        Assert.Equal(NbdError.Io, ex.Error);
        Assert.Contains("EIO", ex.Message);
        await c.FlushAsync().AsTask().WaitAsync(Deadline);
        Assert.False(c.IsBroken);
    }
}
