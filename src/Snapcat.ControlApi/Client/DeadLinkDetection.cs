using System.Net.Sockets;

namespace Snapcat.ControlApi.Client;

/// <summary>
/// Control connections that notice a dead link in seconds, not at the request timeout. A pooled keep-alive
/// connection whose link went down gets silence: without this, a call made on it (the agent asking its array
/// for a snapshot while the application is frozen) waits for the whole HTTP timeout, and the thaw waits with it.
/// TCP keepalive probes an idle connection, and TCP_USER_TIMEOUT ends one whose sent data stays unacknowledged;
/// a live peer that is merely slow still acknowledges at the TCP level, so long jobs and event streams are unaffected.
/// </summary>
public static class DeadLinkDetection
{
    /// <summary>How long sent data may stay unacknowledged before the connection is declared dead.</summary>
    public static readonly TimeSpan UnacknowledgedLimit = TimeSpan.FromSeconds(20);

    // Linux <netinet/tcp.h>; .NET has no named option for it.
    private const int TcpUserTimeout = 18;

    /// <summary>Sets keepalive and the unacknowledged-data limit on a TCP socket (best effort: a platform without them keeps its defaults).</summary>
    public static void Apply(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        socket.NoDelay = true;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 10);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 5);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
            if (OperatingSystem.IsLinux())
                socket.SetRawSocketOption((int)SocketOptionLevel.Tcp, TcpUserTimeout,
                    BitConverter.GetBytes((int)UnacknowledgedLimit.TotalMilliseconds));
        }
        catch (SocketException) { }
    }

    /// <summary>The connect step of a <see cref="SocketsHttpHandler"/>: a TCP connection with <see cref="Apply"/> done.</summary>
    public static ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ConnectAsync(context.DnsEndPoint, ct);
    }

    /// <summary>A TCP connection to <paramref name="endPoint"/> with <see cref="Apply"/> done.</summary>
    public static async ValueTask<Stream> ConnectAsync(System.Net.EndPoint endPoint, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            Apply(socket);
            await socket.ConnectAsync(endPoint, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
