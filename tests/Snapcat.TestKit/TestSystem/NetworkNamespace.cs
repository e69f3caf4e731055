using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Snapcat.TestKit.TestSystem;

/// <summary>
/// One host of a <see cref="NamespaceNetwork"/>: a network namespace with <c>lo</c> and <c>eth0</c> at
/// <see cref="Address"/>. Programs run inside it with <c>ip netns exec</c> (<see cref="Launcher"/>,
/// <see cref="RunAsync"/>); the test process opens sockets inside it with <see cref="CreateTcpSocket"/>.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class NetworkNamespace
{
    public const string Interface = "eth0";
    private const int CloneNewNet = 0x40000000;  // CLONE_NEWNET, linux/sched.h

    internal NetworkNamespace(NamespaceNetwork network, string name, string role, IPAddress address, string bridgePort)
    {
        Network = network;
        Name = name;
        Role = role;
        Address = address;
        BridgePort = bridgePort;
    }

    public NamespaceNetwork Network { get; }

    /// <summary>The namespace's name (<c>ip netns list</c>).</summary>
    public string Name { get; }

    public string Role { get; }

    /// <summary>The host's address on the bridge, the only one it has besides loopback.</summary>
    public IPAddress Address { get; }

    /// <summary>The bridge's end of this host's veth pair (in <see cref="NamespaceNetwork.BridgeNamespace"/>).</summary>
    public string BridgePort { get; }

    /// <summary>The command prefix that runs a program inside this namespace.</summary>
    public IReadOnlyList<string> Launcher => ["ip", "netns", "exec", Name];

    /// <summary>Runs a program to completion inside this namespace.</summary>
    public Task<Tool.Result> RunAsync(string file, IEnumerable<string> args, TimeSpan? timeout = null, string? stdin = null) =>
        Tool.RunAsync("ip", ["netns", "exec", Name, file, .. args], timeout, stdin);

    /// <summary>Starts a long-running program inside this namespace (<c>ip netns exec</c> execs it: the PID is the program's).</summary>
    public ChildProcess Start(string file, IEnumerable<string> args, IDictionary<string, string>? env = null) =>
        ChildProcess.Start("ip", ["netns", "exec", Name, file, .. args], env);

    /// <summary>
    /// The cable pulled on this host's side: <c>eth0</c> goes down, its routes go with it. New connections
    /// from the host fail at once (ENETUNREACH); established ones see nothing but silence, as on a real link.
    /// </summary>
    public Task CutLinkAsync() => NamespaceNetwork.Ip(["-n", Name, "link", "set", Interface, "down"]);

    /// <summary>The cable back: <c>eth0</c> up (its address and route return with it), waited for on both ends.</summary>
    public async Task RestoreLinkAsync()
    {
        await NamespaceNetwork.Ip(["-n", Name, "link", "set", Interface, "up"]);
        await Poll.UntilAsync(async () => await IsUpAsync(Name, Interface) && await IsUpAsync(Network.BridgeNamespace, BridgePort),
            TimeSpan.FromSeconds(10), $"link {Interface} of {Name} to come up");
    }

    private static async Task<bool> IsUpAsync(string ns, string dev)
    {
        var r = await Tool.RunAsync("ip", ["-n", ns, "-o", "link", "show", "dev", dev], TimeSpan.FromSeconds(10));
        return r.ExitCode == 0 && r.Stdout.Contains("state UP", StringComparison.Ordinal);
    }

    /// <summary>
    /// A TCP socket that lives in this namespace although the test process does not: a socket belongs to the
    /// namespace of the thread that created it (socket(2)), and setns(2) with CLONE_NEWNET moves only the
    /// calling thread. So a fresh thread joins the namespace, creates the socket and ends; the socket then
    /// connects from any thread, as a program on this host would.
    /// </summary>
    public Socket CreateTcpSocket()
    {
        Socket? socket = null;
        Exception? failure = null;
        var t = new Thread(() =>
        {
            try
            {
                using var ns = File.OpenHandle($"/run/netns/{Name}");
                if (SetNs((int)ns.DangerousGetHandle(), CloneNewNet) != 0)
                    throw new InvalidOperationException($"setns into network namespace {Name} failed: errno {Marshal.GetLastPInvokeError()}");
                socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        })
        { IsBackground = true, Name = "netns " + Name };
        t.Start();
        t.Join();
        return socket ?? throw new InvalidOperationException($"no socket in network namespace {Name}", failure);
    }

    /// <summary>An HTTP handler whose connections are made from inside this namespace (for the TestKit's clients).</summary>
    public SocketsHttpHandler CreateHttpHandler() => new()
    {
        ConnectCallback = async (context, ct) =>
        {
            var socket = CreateTcpSocket();
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    public override string ToString() => $"{Name} ({Address})";

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);
}
