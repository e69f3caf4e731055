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
    IReadOnlyDictionary<string, PeerArrayConfig> Peers);
