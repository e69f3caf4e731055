using System.Net;
using System.Net.Sockets;

namespace Snapcat.TestKit;

/// <summary>
/// Free loopback TCP ports for daemons that tests start. Binds port 0 and lets the kernel choose,
/// and never hands out the same port twice in one test process: the kernel may offer a port again
/// as soon as our probe socket closes, and two tests starting servers in parallel would then race
/// for it (the loser's server exits, and its test talks to the winner's).
/// </summary>
public static class FreePort
{
    private static readonly HashSet<int> Given = [];

    public static int Next()
    {
        for (int attempt = 0; ; attempt++)
        {
            using var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            lock (Given)
            {
                if (Given.Add(port) || attempt > 100) return port;
            }
        }
    }
}
