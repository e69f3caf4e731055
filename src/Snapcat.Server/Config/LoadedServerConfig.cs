using Snapcat.Nbd;
using Snapcat.Server.Tape;

namespace Snapcat.Server.Config;

/// <summary>A configuration that passed <see cref="ServerConfigLoader"/>: paths absolute, URLs parsed, token read, tape library directory absolute (no library when null).</summary>
public sealed record LoadedServerConfig(
    string ConfigPath,
    NbdAddress ControlListen,
    string Token,
    string CatalogLocation,
    IReadOnlyDictionary<string, RemoteEndpoint> Agents,
    IReadOnlyDictionary<string, RemoteEndpoint> Arrays,
    TapeLibraryConfig? TapeLibrary = null,
    TimeSpan? MinimumScheduleInterval = null);

public sealed record RemoteEndpoint(Uri Url, string Token);
