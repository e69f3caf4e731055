using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Snapcat.Nbd.Protocol;
using Snapcat.TestKit;

namespace Snapcat.Nbd.Tests.Client;

/// <summary>
/// A real nbdkit on a free loopback port, killed on dispose. Ready once the port greets with
/// NBDMAGIC. No --exit-with-parent: its PR_SET_PDEATHSIG fires when the starting thread (a pool
/// thread) exits.
/// </summary>
internal sealed class Nbdkit : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private Nbdkit(ChildProcess process, NbdAddress address)
    {
        _process = process;
        Address = address;
    }

    public NbdAddress Address { get; }

    public string Output => _process.Output;

    public static async Task<Nbdkit> StartAsync(params string[] args)
    {
        // A port from FreePort can be taken again before nbdkit binds it; then nbdkit exits and we retry.
        for (int attempt = 1; ; attempt++)
        {
            int port = FreePort.Next();
            var p = ChildProcess.Start("nbdkit", ["-f", "-i", "127.0.0.1", "-p", port.ToString(), .. args]);
            var kit = new Nbdkit(p, new NbdAddress("127.0.0.1", port));
            try
            {
                // Ready when nbdkit itself holds the listening socket and it greets: a greeting alone could come
                // from another server of this test process that the kernel gave the same port.
                await Poll.UntilAsync(async () => p.HasExited || (ListensOn(p.Pid, port) && await GreetsAsync(port)), TimeSpan.FromSeconds(20),
                    $"nbdkit {string.Join(' ', args)} to listen on port {port}");
                // Seen since the connection-limit work landed (cause not found yet): an nbdkit that greeted
                // exits with status 0 and no output within a few hundred ms. Start another when that happens,
                // so the client tests test the client, and say so in the output.
                if (!p.HasExited)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500));
                    if (!p.HasExited && ListensOn(p.Pid, port)) return kit;
                    Console.Error.WriteLine($"nbdkit on port {port} exited right after it was ready (attempt {attempt}); starting another");
                }
                if (attempt == 5) throw new InvalidOperationException($"nbdkit exited with status {await p.WaitForExitAsync(TimeSpan.FromSeconds(5))}: {p.Output}");
                await kit.DisposeAsync();
            }
            catch
            {
                await kit.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>
    /// True when process <paramref name="pid"/> owns a socket listening on 127.0.0.1:<paramref name="port"/>:
    /// /proc/net/tcp lists listeners (state 0A) with their inode, /proc/PID/fd links to "socket:[inode]".
    /// </summary>
    private static bool ListensOn(int pid, int port)
    {
        string local = $"0100007F:{port:X4}";
        var inodes = new HashSet<string>();
        foreach (string line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length > 9 && f[1] == local && f[3] == "0A") inodes.Add(f[9]);
        }
        if (inodes.Count == 0) return false;
        try
        {
            foreach (string fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
                if (new FileInfo(fd).LinkTarget is { } t && t.StartsWith("socket:[", StringComparison.Ordinal) && inodes.Contains(t[8..^1]))
                    return true;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return false;
    }

    private static async Task<bool> GreetsAsync(int port)
    {
        using var c = new TcpClient();
        await c.ConnectAsync(IPAddress.Loopback, port);
        // Loopback connects to a port nobody listens on can connect to themselves (same source and
        // destination port), so "connected" alone does not prove nbdkit is up: read its greeting.
        if (((IPEndPoint)c.Client.LocalEndPoint!).Port == port) return false;
        var magic = new byte[8];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await c.GetStream().ReadExactlyAsync(magic, cts.Token);
        return BinaryPrimitives.ReadUInt64BigEndian(magic) == NbdMagic.NbdMagicInit;
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
