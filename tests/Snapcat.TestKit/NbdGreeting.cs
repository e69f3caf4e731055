using System.Net.Sockets;

namespace Snapcat.TestKit;

/// <summary>Raw-socket look at an NBD server, for tests of connection limits and handshake deadlines.</summary>
public static class NbdGreeting
{
    /// <summary>True when the whole 18-byte newstyle greeting (docs/nbd.md §3.1) arrived; false when the server closed or reset the socket first.</summary>
    public static async Task<bool> ReadAsync(Socket s, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buf = new byte[18];
        int got = 0;
        try
        {
            while (got < buf.Length)
            {
                int n = await s.ReceiveAsync(buf.AsMemory(got), SocketFlags.None, cts.Token);
                if (n == 0) return false;
                got += n;
            }
            return true;
        }
        catch (SocketException)
        {
            return false;  // reset by the server
        }
    }

    /// <summary>Waits until the server closes (or resets) the socket; a TimeoutException after <paramref name="timeout"/>.</summary>
    public static async Task WaitClosedAsync(Socket s, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buf = new byte[64];
        try
        {
            while (await s.ReceiveAsync(buf, SocketFlags.None, cts.Token) > 0) { }
        }
        catch (SocketException) { }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the server did not close the connection within {timeout.TotalSeconds} s");
        }
    }
}
