using System.Globalization;
using System.Net;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;

namespace Snapcat.TestKit.TestSystem;

/// <summary>
/// A small network of Linux network namespaces for the multi-host test: one namespace holding a bridge
/// (the switch) and one per host, each host joined to the bridge by a veth pair (<c>eth0</c> in the host,
/// <c>vN</c> on the bridge). Nothing is created in the root namespace: the test process has no address on
/// this network and no route to it, so every byte between the daemons really crosses the bridge.
/// <code>
/// await using var net = await NamespaceNetwork.CreateAsync();
/// var arrayHost = await net.AddHostAsync("array");      // 10.231.X.2
/// sys.AddArray("ARRAY-01", a => a.Namespace = arrayHost);
/// await arrayHost.CutLinkAsync(); … await arrayHost.RestoreLinkAsync();
/// </code>
/// Names are <c>snapcat-PID-SEQ-ROLE</c>: parallel test runs (other PIDs) never collide, and leftovers of a
/// crashed run (a PID that no longer lives) are removed when the next network is created. Disposal deletes
/// every namespace of this network (deleting a host namespace deletes its veth pair with it).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed partial class NamespaceNetwork : IAsyncDisposable
{
    private const string Prefix = "snapcat-";
    private static int _sequence;
    private static readonly Lazy<string?> Unavailability = new(Probe);
    private readonly List<NetworkNamespace> _hosts = [];
    private readonly List<string> _created = [];

    private NamespaceNetwork(string stem, int subnet)
    {
        Stem = stem;
        Subnet = subnet;
        BridgeNamespace = stem + "-br";
    }

    /// <summary><c>snapcat-PID-SEQ</c>: every namespace of this network starts with it.</summary>
    public string Stem { get; }

    /// <summary>X of the network 10.231.X.0/24, chosen per network so that two runs show different addresses.</summary>
    public int Subnet { get; }

    public string BridgeNamespace { get; }

    public string Cidr => $"10.231.{Subnet}.0/24";

    public IReadOnlyList<NetworkNamespace> Hosts => _hosts;

    /// <summary>Null when namespaces can be made here (root, a working <c>ip netns</c>); else why not, for a skip reason.</summary>
    public static string? WhyUnavailable() => Unavailability.Value;

    /// <summary>Creates the bridge namespace with its bridge; hosts come with <see cref="AddHostAsync"/>.</summary>
    public static async Task<NamespaceNetwork> CreateAsync()
    {
        if (WhyUnavailable() is { } why) throw new InvalidOperationException($"network namespaces are not available here: {why}");
        await RemoveLeftoversAsync();
        int seq = Interlocked.Increment(ref _sequence);
        int pid = Environment.ProcessId;
        var net = new NamespaceNetwork(string.Create(CultureInfo.InvariantCulture, $"{Prefix}{pid}-{seq}"), (pid * 7 + seq) % 250 + 3);
        try
        {
            await net.AddNamespaceAsync(net.BridgeNamespace);
            await Ip(["-n", net.BridgeNamespace, "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
            await Ip(["-n", net.BridgeNamespace, "link", "set", "br0", "up"]);
            return net;
        }
        catch
        {
            await net.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A host namespace named after <paramref name="role"/> with <c>lo</c> up and <c>eth0</c> on the bridge at
    /// 10.231.X.(2 + index); its link is up when this returns.
    /// </summary>
    public async Task<NetworkNamespace> AddHostAsync(string role)
    {
        if (!RoleName().IsMatch(role)) throw new ArgumentException($"host role '{role}' must be lower-case letters and digits (it goes into a namespace name)", nameof(role));
        int index = _hosts.Count;
        string name = $"{Stem}-{role}";
        if (_hosts.Any(h => h.Name == name)) throw new ArgumentException($"this network already has a host '{role}'", nameof(role));
        var host = new NetworkNamespace(this, name, role, IPAddress.Parse($"10.231.{Subnet}.{2 + index}"), "v" + index.ToString(CultureInfo.InvariantCulture));
        await AddNamespaceAsync(name);
        _hosts.Add(host);
        await Ip(["-n", name, "link", "set", "lo", "up"]);
        // Made inside the bridge namespace with its far end placed straight into the host: no interface ever exists in the root namespace.
        await Ip(["-n", BridgeNamespace, "link", "add", host.BridgePort, "type", "veth", "peer", "name", NetworkNamespace.Interface, "netns", name]);
        await Ip(["-n", BridgeNamespace, "link", "set", host.BridgePort, "master", "br0", "up"]);
        await Ip(["-n", name, "addr", "add", $"{host.Address}/24", "dev", NetworkNamespace.Interface]);
        await host.RestoreLinkAsync();
        return host;
    }

    private async Task AddNamespaceAsync(string name)
    {
        await Ip(["netns", "add", name]);
        _created.Add(name);
    }

    /// <summary>
    /// Deletes this network's namespaces (hosts first, then the bridge); daemons in them should have stopped. It does
    /// not throw: a failed test's own error must not be replaced by this one, and the next run removes what is left.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        foreach (string name in Enumerable.Reverse(_created))
        {
            var r = await Tool.RunAsync("ip", ["netns", "delete", name], TimeSpan.FromSeconds(30));
            if (r.ExitCode != 0) Console.Error.WriteLine($"could not delete network namespace {name}: {r.Stderr.Trim()}");
        }
        _created.Clear();
    }

    /// <summary>Namespaces named by a run whose process is gone (a crashed or killed test host).</summary>
    private static async Task RemoveLeftoversAsync()
    {
        var list = await Tool.RunAsync("ip", ["netns", "list"], TimeSpan.FromSeconds(30));
        foreach (string line in list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var m = OurName().Match(line);
            if (!m.Success) continue;
            int pid = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            if (pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}")) continue;
            await Tool.RunAsync("ip", ["netns", "delete", m.Groups[1].Value], TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>Root, the ip tool, and a namespace that can really be made and deleted.</summary>
    private static string? Probe()
    {
        if (Environment.UserName != "root") return "the multi-host test makes network namespaces: needs root";
        if (!Tool.Exists("ip")) return "the multi-host test needs ip (iproute2)";
        string name = $"{Prefix}{Environment.ProcessId}-probe";
        try
        {
            var add = Tool.RunAsync("ip", ["netns", "add", name], TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            if (add.ExitCode != 0) return $"'ip netns add' does not work here: {add.Stderr.Trim()}";
            var exec = Tool.RunAsync("ip", ["netns", "exec", name, "ip", "link", "set", "lo", "up"], TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            if (exec.ExitCode != 0) return $"'ip netns exec' does not work here: {exec.Stderr.Trim()}";
            return null;
        }
        finally
        {
            Tool.RunAsync("ip", ["netns", "delete", name], TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        }
    }

    internal static async Task Ip(string[] args) =>
        (await Tool.RunAsync("ip", args, TimeSpan.FromSeconds(30))).EnsureSuccess("ip " + string.Join(' ', args));

    [GeneratedRegex(@"^((?:snapcat-)(\d+)-[a-z0-9-]+)")]
    private static partial Regex OurName();

    [GeneratedRegex("^[a-z][a-z0-9]{0,15}$")]
    private static partial Regex RoleName();
}
