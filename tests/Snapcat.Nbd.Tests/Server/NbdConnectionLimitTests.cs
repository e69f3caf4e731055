using System.Net;
using System.Net.Sockets;
using Snapcat.Nbd.Client;
using Snapcat.Nbd.Server;
using Snapcat.TestKit;

namespace Snapcat.Nbd.Tests.Server;

/// <summary>
/// The server's connection limits on loopback: one address holds at most its share, a handshake
/// must finish before its deadline, and a connection in transmission is never subject to it.
/// </summary>
public sealed class NbdConnectionLimitTests
{
    private static readonly TimeSpan Greeting = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Per_peer_limit_and_handshake_deadline_leave_an_established_connection_alone()
    {
        await using var host = await FileExportHost.StartAsync(1 << 20, limits: (ep, catalog) =>
            new NbdServer(ep, catalog) { HandshakeTimeout = TimeSpan.FromSeconds(1), MaxConnectionsPerPeer = 3 });
        var address = new NbdAddress("127.0.0.1", host.Port);

        // A client in transmission first: it takes one of 127.0.0.1's three slots.
        await using var client = await NbdClient.ConnectAsync(address, "1");
        var data = new byte[4096];
        Random.Shared.NextBytes(data);
        await client.WriteAsync(0, data);

        using var idle1 = await ConnectAsync(host.Port);
        using var idle2 = await ConnectAsync(host.Port);
        using var refused = await ConnectAsync(host.Port);
        Assert.True(await NbdGreeting.ReadAsync(idle1, Greeting));
        Assert.True(await NbdGreeting.ReadAsync(idle2, Greeting));
        Assert.False(await NbdGreeting.ReadAsync(refused, Greeting), "a fourth connection from 127.0.0.1 must be refused");

        // The idle ones are closed by the deadline; the client that finished its handshake is not.
        await NbdGreeting.WaitClosedAsync(idle1, Greeting);
        await NbdGreeting.WaitClosedAsync(idle2, Greeting);
        var back = new byte[4096];
        await client.ReadAsync(0, back);
        Assert.Equal(data, back);

        // Their slots are free again.
        using var again = await ConnectAsync(host.Port);
        Assert.True(await NbdGreeting.ReadAsync(again, Greeting));
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return s;
    }
}
