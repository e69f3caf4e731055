using System.Runtime.Versioning;
namespace Snapcat.TestKit.TestSystem;

/// <summary>
/// The one test system: real Snapcat daemons as child processes on loopback, declared here and started
/// in any subset. Each daemon gets a folder under <see cref="Dir"/> and a configuration file serialised
/// from its typed configuration record; every control API and data port binds port 0 and the daemon's
/// ready line says which port it got, so parallel tests cannot race for a port.
/// <code>
/// await using var sys = new SnapcatSystem("restore");
/// var array = sys.AddArray("ARRAY-01");
/// var primary = array.AddVolume("16M", port: 0, lun: 1);
/// sys.AddAgent("db-01").Protect("/srv/db", "/dev/nbd0", array.Port(0), 1);
/// sys.AddServer();
/// await sys.StartAsync();          // arrays, then agents, then the server
/// await sys.Server.Client.…;       // typed clients: ArrayClient, AgentClient, ServerClient
/// array.KillHard(); await array.RestartAsync();   // same data directory, same ports
/// </code>
/// Disposal kills every daemon by PID and removes the folder.
/// </summary>
[SupportedOSPlatform("linux")]  // a system may hold agents, which run on Linux only (FUSE, process groups)
public sealed class SnapcatSystem : IAsyncDisposable
{
    private readonly List<ArrayNode> _arrays = [];
    private readonly List<AgentNode> _agents = [];
    private readonly TempDir _dir;
    private ServerNode? _server;

    public SnapcatSystem(string? name = null)
    {
        _dir = new TempDir(name ?? "system");
    }

    public TempDir Dir => _dir;

    public IReadOnlyList<ArrayNode> Arrays => _arrays;
    public IReadOnlyList<AgentNode> Agents => _agents;
    public ServerNode Server => _server ?? throw new InvalidOperationException("this system has no server; call AddServer first");
    public bool HasServer => _server is not null;

    public ArrayNode Array(string deviceId) =>
        _arrays.FirstOrDefault(a => a.DeviceId == deviceId) ?? throw new ArgumentException($"no array {deviceId} in this system", nameof(deviceId));

    public AgentNode Agent(string hostName) =>
        _agents.FirstOrDefault(a => a.HostName == hostName) ?? throw new ArgumentException($"no agent {hostName} in this system", nameof(hostName));

    public ArrayNode AddArray(string deviceId = "ARRAY-01", Action<ArrayNode>? configure = null)
    {
        if (_arrays.Any(a => a.DeviceId == deviceId)) throw new ArgumentException($"array {deviceId} is already in this system", nameof(deviceId));
        var a = new ArrayNode(this, deviceId);
        configure?.Invoke(a);
        _arrays.Add(a);
        return a;
    }

    /// <summary>Declares an array and starts it (alone): the usual start of a test about one array.</summary>
    public async Task<ArrayNode> StartArrayAsync(string deviceId = "ARRAY-01", int dataPortCount = 2, Action<ArrayNode>? configure = null)
    {
        var a = AddArray(deviceId, n =>
        {
            n.DataPortCount = dataPortCount;
            configure?.Invoke(n);
        });
        await a.StartAsync();
        return a;
    }

    public AgentNode AddAgent(string hostName = "host-01", Action<AgentNode>? configure = null)
    {
        if (_agents.Any(a => a.HostName == hostName)) throw new ArgumentException($"agent {hostName} is already in this system", nameof(hostName));
        var a = new AgentNode(this, hostName);
        configure?.Invoke(a);
        _agents.Add(a);
        return a;
    }

    public ServerNode AddServer(Action<ServerNode>? configure = null)
    {
        if (_server is not null) throw new InvalidOperationException("this system already has a server");
        _server = new ServerNode(this);
        configure?.Invoke(_server);
        return _server;
    }

    /// <summary>
    /// Starts every declared daemon that has not started yet: arrays first (those whose peers run, in
    /// parallel, until all run), then the agents in parallel (their files name the arrays' real data
    /// ports), then the server (its file names the agents' and arrays' real URLs).
    /// </summary>
    public async Task StartAsync()
    {
        var waiting = _arrays.Where(a => !a.HasStarted).ToList();
        while (waiting.Count > 0)
        {
            var wave = waiting.Where(a => a.Peers.All(p => p.HasStarted)).ToList();
            if (wave.Count == 0)
                throw new InvalidOperationException($"arrays {string.Join(", ", waiting.Select(a => a.DeviceId))} name each other as peers; one must start first");
            await Task.WhenAll(wave.Select(a => a.StartAsync()));
            waiting.RemoveAll(wave.Contains);
        }
        await Task.WhenAll(_agents.Where(a => !a.HasStarted).Select(a => a.StartAsync()));
        if (_server is { HasStarted: false }) await _server.StartAsync();
    }

    private IEnumerable<DaemonNode> All => [.. _agents, .. (_server is null ? [] : new DaemonNode[] { _server }), .. _arrays];

    public async ValueTask DisposeAsync()
    {
        // Clients of the arrays first (agents, server), then the arrays, so nothing logs a vanished peer mid-test.
        foreach (var n in All) await n.DisposeAsync();
        _dir.Dispose();
    }
}
