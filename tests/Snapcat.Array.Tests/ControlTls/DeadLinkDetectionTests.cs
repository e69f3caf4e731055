using System.Net;
using System.Net.Sockets;
using Snapcat.ControlApi.Client;

namespace Snapcat.Array.Tests.ControlTls;

/// <summary>
/// The control clients' connections carry keepalive and a limit on unacknowledged data, so a call on a
/// pooled connection whose link died fails in seconds instead of at the request timeout.
/// </summary>
public sealed class DeadLinkDetectionTests
{
    [Fact]
    public async Task A_control_connection_has_keepalive_and_a_tcp_user_timeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accept = listener.AcceptSocketAsync();
        var endPoint = new DnsEndPoint("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port);

        await using var stream = (NetworkStream)await DeadLinkDetection.ConnectAsync(endPoint, CancellationToken.None);
        using var served = await accept;

        var socket = stream.Socket;
        Assert.Equal(1, (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
        Assert.Equal(10, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!);
        var userTimeout = new byte[4];
        socket.GetRawSocketOption((int)SocketOptionLevel.Tcp, 18, userTimeout);   // TCP_USER_TIMEOUT
        Assert.Equal((int)DeadLinkDetection.UnacknowledgedLimit.TotalMilliseconds, BitConverter.ToInt32(userTimeout));
    }
}
