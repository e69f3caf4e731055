namespace Snapcat.Array.Config;

// The array's configuration file (JSON, camelCase), e.g.
// {
//   "deviceId": "ARRAY-01",
//   "dataDirectory": "/var/lib/snapcat/array-01",
//   "control": { "listen": "127.0.0.1:8470", "token": "s3cret" },      // or "tokenFile": "/etc/snapcat/array.token"
//   "dataPorts": [ { "listen": "127.0.0.1:10809" },
//                  { "listen": "127.0.0.1:10810", "handshakeTimeoutSeconds": 10, "maxConnectionsPerPeer": 64 } ],
//   "peers": { "ARRAY-02": { "url": "http://127.0.0.1:8471", "token": "…" } }   // or "tokenFile"; other arrays, for volume copy (FIG. 19)
// }
// A relative dataDirectory or tokenFile is relative to the configuration file's folder.

public sealed record ArrayConfig
{
    public required string DeviceId { get; init; }
    public required string DataDirectory { get; init; }
    public required ControlEndpointConfig Control { get; init; }
    public required IReadOnlyList<DataPortConfig> DataPorts { get; init; }
    public IReadOnlyDictionary<string, PeerArrayConfig> Peers { get; init; } = new Dictionary<string, PeerArrayConfig>();
}

public sealed record ControlEndpointConfig
{
    /// <summary>host:port of the HTTP control API.</summary>
    public required string Listen { get; init; }
    public string? Token { get; init; }
    public string? TokenFile { get; init; }
}

public sealed record DataPortConfig
{
    /// <summary>host:port of the NBD listener; also the port's address in assignments.</summary>
    public required string Listen { get; init; }

    /// <summary>Seconds a client has to finish the NBD handshake (GO) before it is dropped; default 10.</summary>
    public double? HandshakeTimeoutSeconds { get; init; }

    /// <summary>Connections one client address may hold on this port at once; default 64.</summary>
    public int? MaxConnectionsPerPeer { get; init; }
}

/// <summary>A peer array's control API. After loading, <see cref="Token"/> holds the token, read from <see cref="TokenFile"/> when that was given.</summary>
public sealed record PeerArrayConfig
{
    public required string Url { get; init; }
    public string? Token { get; init; }
    public string? TokenFile { get; init; }
}
