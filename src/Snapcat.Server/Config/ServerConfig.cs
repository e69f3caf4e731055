using Snapcat.Core.Config;

namespace Snapcat.Server.Config;

// The backup server's configuration file (JSON, camelCase), e.g.
// {
//   "control": { "listen": "127.0.0.1:8480", "token": "s3cret",            // or "tokenFile": "server.token"
//                "tls": { "certificateFile": "control.crt", "keyFile": "control.key" } },   // or "insecure": true (plain HTTP)
//   // or named credentials with roles admin, operator, read-only (docs/SECURITY.md); auditFile default: audit.log beside this file
//   // "control": { "listen": "127.0.0.1:8480", "credentials": [ { "name": "ops", "tokenFile": "ops.token", "role": "operator" } ] },
//   "catalog": { "path": "catalog.db" },                                    // SQLite (default catalog.db beside this file)
//   // "catalog": { "connectionString": "Host=db;Database=snapcat;Username=snapcat;Password=…" },   // PostgreSQL
//   "agents": { "db01": { "url": "https://10.0.0.5:8490", "token": "…", "fingerprint": "AB:CD:…" } },  // host name -> agent control API; "tokenFile" works too
//   "arrays": { "ARRAY-01": { "url": "https://10.0.0.9:8470", "token": "…", "caFile": "ca.pem" } },    // device ID -> array control API
//   // each peer's certificate: "fingerprint" pins it (SHA-256, as snapcat init prints it), "caFile" names its CA; neither: system trust
//   "tapeLibrary": { "libraryId": "TAPE-01", "directory": "tapes", "capacity": "2G", "slots": 64, "drives": 1 },  // optional
//   "scheduling": { "minimumIntervalSeconds": 60 },                         // optional; schedules firing more often are refused
//   "drift": { "schedule": "0 4 * * *", "timeZone": "UTC", "enabled": true }, // optional; the drift reconcile's cron (docs/drift.md)
//   "logging": { "format": "systemd", "level": "information" }              // optional; format simple | systemd | json (docs/logging.md)
// }
// A relative catalog path, tokenFile, certificateFile, keyFile, caFile or tape library directory is relative to the configuration file's folder.

public sealed record ServerConfig
{
    public required ServerControlConfig Control { get; init; }
    public ServerCatalogConfig? Catalog { get; init; }
    public IReadOnlyDictionary<string, RemoteEndpointConfig>? Agents { get; init; }
    public IReadOnlyDictionary<string, RemoteEndpointConfig>? Arrays { get; init; }
    public Snapcat.Server.Tape.TapeLibraryConfig? TapeLibrary { get; init; }
    public ServerSchedulingConfig? Scheduling { get; init; }
    public NotificationsConfig? Notifications { get; init; }   // format in NotificationsConfig.cs
    public Snapcat.Server.Drift.DriftConfig? Drift { get; init; }   // optional; the scheduled drift reconcile (docs/drift.md)
    public LoggingConfig? Logging { get; init; }
    /// <summary>The state copy on the arrays and tapes (docs/disaster-recovery.md); absent: on, written 2 s after the last change.</summary>
    public ServerStateCopyConfig? StateCopy { get; init; }
}

public sealed record ServerSchedulingConfig
{
    /// <summary>The shortest gap between two runs a definition's schedule may ask for (issue 9.11); default 60.</summary>
    public int? MinimumIntervalSeconds { get; init; }
}

public sealed record ServerControlConfig : ControlListenerConfig
{
    public required string Listen { get; init; }
}

public sealed record ServerCatalogConfig
{
    /// <summary>SQLite file; default <c>catalog.db</c> beside the configuration.</summary>
    public string? Path { get; init; }
    /// <summary>PostgreSQL connection string (<c>Host=…</c> or <c>postgres://…</c>); excludes <see cref="Path"/>.</summary>
    public string? ConnectionString { get; init; }
}

/// <summary>An agent's or array's control API and its bearer token.</summary>
public sealed record RemoteEndpointConfig : PeerEndpointConfig
{
    public required string Url { get; init; }
}

/// <summary><c>stateCopy</c> of server.json: <c>enabled</c> (default true) and <c>debounceSeconds</c> (default 2), how long after the last change the copy is written.</summary>
public sealed record ServerStateCopyConfig
{
    public bool? Enabled { get; init; }
    public double? DebounceSeconds { get; init; }
}
