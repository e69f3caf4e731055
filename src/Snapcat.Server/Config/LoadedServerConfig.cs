using Snapcat.Nbd;

namespace Snapcat.Server.Config;

/// <summary>A configuration that passed <see cref="ServerConfigLoader"/>: paths absolute, URLs parsed, token read.</summary>
public sealed record LoadedServerConfig(
    string ConfigPath,
    NbdAddress ControlListen,
    string Token,
    string CatalogLocation,
    IReadOnlyDictionary<string, RemoteEndpoint> Agents,
    IReadOnlyDictionary<string, RemoteEndpoint> Arrays);

public sealed record RemoteEndpoint(Uri Url, string Token);
