using System.Collections.Concurrent;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;

namespace Snapcat.Agent.Hosting;

/// <summary>
/// The agent's NBD credentials: each array of the configuration may name its own (<c>arrays.X.nbdTls</c>),
/// used for every connection to that array's data ports — Snapcat's own client (Inquiry, volume
/// streams) and the URIs given to nbdfuse — and as the one identity a restore-port assignment admits.
/// </summary>
public sealed partial class AgentRuntime
{
    /// <summary>Data port → device ID, learnt from the arrays' control APIs; only hits are kept.</summary>
    private readonly ConcurrentDictionary<NbdAddress, string> _arrayOfPort = new();

    /// <summary>The TLS credentials for the data ports of the array with this device ID; null: plain NBD.</summary>
    public NbdClientTls? NbdTlsFor(string deviceId) =>
        Config.Arrays.TryGetValue(deviceId, out var endpoint) ? endpoint?.NbdTlsCredentials : null;

    public NbdClientOptions NbdOptionsFor(string deviceId) => new() { Tls = NbdTlsFor(deviceId) };

    /// <summary>
    /// Who may open a LUN this agent has assigned to one of its restore ports (issue 11, LUN masking):
    /// this agent's own NBD identity on that array (its PSK username or certificate subject). Null —
    /// no limit — when the agent reaches that array without TLS or without a client identity, since
    /// the array could then not tell this agent from any other client.
    /// </summary>
    public IReadOnlyList<string>? RestoreIdentitiesFor(string deviceId) =>
        NbdTlsFor(deviceId)?.Identity is { } identity ? [identity] : null;

    /// <summary>
    /// Options for a data port before the Inquiry has said whose it is (a protected volume's row of
    /// FIG. 3 names a port, not an array). Without any nbdTls in the configuration this is plain NBD
    /// and asks nobody. Otherwise the port's array is: the restore port entry that names it, the only
    /// array configured, or the array whose control API lists the port.
    /// </summary>
    public async Task<NbdClientOptions> NbdOptionsForPortAsync(NbdAddress port, CancellationToken ct)
    {
        if (!Config.Arrays.Values.Any(a => a?.NbdTlsCredentials is not null)) return new();
        string? deviceId = await ArrayOfPortAsync(port, ct).ConfigureAwait(false);
        return deviceId is null ? new() : NbdOptionsFor(deviceId);
    }

    private async Task<string?> ArrayOfPortAsync(NbdAddress port, CancellationToken ct)
    {
        var named = Config.RestorePorts.FirstOrDefault(p => p.DeviceId is not null && NbdAddress.TryParse(p.DataPort, out var a) && a == port);
        if (named is not null) return named.DeviceId;
        if (Config.Arrays.Count == 1) return Config.Arrays.Keys.First();
        if (_arrayOfPort.TryGetValue(port, out var known)) return known;
        foreach (string id in Config.Arrays.Keys)
        {
            Snapcat.Contracts.Array.ArrayInfo info;
            try
            {
                info = await ArrayFor(id).GetArrayAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SnapcatException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                continue;  // an array that does not answer now is asked again next time
            }
            foreach (var d in info.DataPorts)
            {
                if (NbdAddress.TryParse(d.Address, out var listen) && Reaches(listen, port))
                {
                    _arrayOfPort[port] = id;
                    return id;
                }
            }
        }
        return null;
    }
}
