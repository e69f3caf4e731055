using System.Collections.Concurrent;
using Snapcat.Server.Config;
using Snapcat.Contracts.Array;

namespace Snapcat.Server.Remote;

/// <summary>
/// The server's address book: agents by host name and arrays by device ID (the description's
/// device-ID → LAN-address table, FIG. 1). Clients are made once and shared.
/// </summary>
public sealed class RemoteDirectory(IReadOnlyDictionary<string, RemoteEndpoint> agents, IReadOnlyDictionary<string, RemoteEndpoint> arrays) : IDisposable
{
    private readonly ConcurrentDictionary<string, AgentClient> _agents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ArrayClient> _arrays = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Hosts => agents.Keys.ToArray();
    public IReadOnlyCollection<string> DeviceIds => arrays.Keys.ToArray();

    public AgentClient AgentFor(string host)
    {
        if (!agents.TryGetValue(host, out var e))
            Throw.NotFound("host.unknown",
                $"host '{host}' has no agent in the server configuration (agents: {List(agents.Keys)}); add it under \"agents\" in server.json and restart the server");
        return _agents.GetOrAdd(host, _ => new AgentClient(e.Url, e.Token, TimeSpan.FromSeconds(60), e.Trust));
    }

    public ArrayClient ArrayFor(string deviceId)
    {
        if (!arrays.TryGetValue(deviceId, out var e))
            Throw.NotFound("array.unknown",
                $"array '{deviceId}' is not in the server configuration (arrays: {List(arrays.Keys)}); add it under \"arrays\" in server.json and restart the server");
        return _arrays.GetOrAdd(deviceId, _ => new ArrayClient(e.Url, e.Token, TimeSpan.FromSeconds(60), e.Trust));
    }

    public bool KnowsHost(string host) => agents.ContainsKey(host);

    private static string List(IEnumerable<string> names) => names.Any() ? string.Join(", ", names.Order(StringComparer.Ordinal)) : "none";

    public void Dispose()
    {
        foreach (var a in _agents.Values) a.Dispose();
        foreach (var a in _arrays.Values) a.Dispose();
    }
}
