using System.Net;
using System.Net.Sockets;

namespace Snapcat.TestKit;

/// <summary>Free loopback TCP ports for daemons that tests start. Binds port 0 and lets the kernel choose.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
