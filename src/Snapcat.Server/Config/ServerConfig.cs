namespace Snapcat.Server.Config;

// The backup server's configuration file (JSON, camelCase), e.g.
// {
//   "control": { "listen": "127.0.0.1:8480", "token": "s3cret" },          // or "tokenFile": "server.token"
//   "catalog": { "path": "catalog.db" },                                    // SQLite (default catalog.db beside this file)
//   // "catalog": { "connectionString": "Host=db;Database=snapcat;Username=snapcat;Password=…" },   // PostgreSQL
//   "agents": { "db01": { "url": "http://10.0.0.5:8490", "token": "…" } },  // host name -> agent control API; "tokenFile" works too
//   "arrays": { "ARRAY-01": { "url": "http://10.0.0.9:8470", "token": "…" } },  // device ID -> array control API
//   "tapeLibrary": { "libraryId": "TAPE-01", "directory": "tapes", "capacity": "2G", "slots": 64, "drives": 1 },  // optional
//   "scheduling": { "minimumIntervalSeconds": 60 }                          // optional; schedules firing more often are refused
// }
// A relative catalog path, tokenFile or tape library directory is relative to the configuration file's folder.

public sealed record ServerConfig
{
    public required ServerControlConfig Control { get; init; }
    public ServerCatalogConfig? Catalog { get; init; }
    public IReadOnlyDictionary<string, RemoteEndpointConfig>? Agents { get; init; }
    public IReadOnlyDictionary<string, RemoteEndpointConfig>? Arrays { get; init; }
    public Snapcat.Server.Tape.TapeLibraryConfig? TapeLibrary { get; init; }
    public ServerSchedulingConfig? Scheduling { get; init; }
}

public sealed record ServerSchedulingConfig
{
    /// <summary>The shortest gap between two runs a definition's schedule may ask for (issue 9.11); default 60.</summary>
    public int? MinimumIntervalSeconds { get; init; }
}

public sealed record ServerControlConfig
{
    public required string Listen { get; init; }
    public string? Token { get; init; }
    public string? TokenFile { get; init; }
}

public sealed record ServerCatalogConfig
{
    /// <summary>SQLite file; default <c>catalog.db</c> beside the configuration.</summary>
    public string? Path { get; init; }
    /// <summary>PostgreSQL connection string (<c>Host=…</c> or <c>postgres://…</c>); excludes <see cref="Path"/>.</summary>
    public string? ConnectionString { get; init; }
}

/// <summary>An agent's or array's control API; the bearer token inline or in <see cref="TokenFile"/>.</summary>
public sealed record RemoteEndpointConfig
{
    public required string Url { get; init; }
    public string? Token { get; init; }
    public string? TokenFile { get; init; }
}
