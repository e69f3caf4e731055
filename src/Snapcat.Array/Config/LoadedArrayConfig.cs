using Snapcat.Nbd;

namespace Snapcat.Array.Config;

/// <summary>
/// A configuration that passed <see cref="ArrayConfigLoader"/>: paths are absolute, addresses parsed,
/// the token read from its file. Everything the daemon needs, with nothing left to validate.
/// </summary>
public sealed record LoadedArrayConfig(
    string ConfigPath,
    string DeviceId,
    string DataDirectory,
    NbdAddress ControlListen,
    string Token,
    IReadOnlyList<NbdAddress> DataPorts,
    IReadOnlyDictionary<string, PeerArrayConfig> Peers)
{
    /// <summary>The connection limits of each data port, in the order of <see cref="DataPorts"/>.</summary>
    public IReadOnlyList<DataPortLimits> DataPortLimits { get; init; } = DataPorts.Select(_ => Config.DataPortLimits.Default).ToList();
}

/// <param name="HandshakeTimeout">A client that has not finished the NBD handshake by then is dropped.</param>
/// <param name="MaxConnectionsPerPeer">Connections one client address may hold on the port at once.</param>
public sealed record DataPortLimits(TimeSpan HandshakeTimeout, int MaxConnectionsPerPeer)
{
    public static readonly DataPortLimits Default = new(Snapcat.Nbd.Server.NbdServer.DefaultHandshakeTimeout, Snapcat.Nbd.Server.NbdServer.DefaultMaxConnectionsPerPeer);
}
