using System.Text.Json.Serialization;
using Snapcat.Core.Config;
using Snapcat.Nbd.Client;

namespace Snapcat.Array.Config;

// The array's configuration file (JSON, camelCase), e.g.
// {
//   "deviceId": "ARRAY-01",
//   "dataDirectory": "/var/lib/snapcat/array-01",
//   "control": { "listen": "127.0.0.1:8470", "token": "s3cret",        // or "tokenFile": "/etc/snapcat/array.token"
//                "tls": { "certificateFile": "control.crt", "keyFile": "control.key" } },   // or "insecure": true (plain HTTP)
//   // or named credentials (docs/SECURITY.md): the backup server's (admin) and each host's agent, limited to its volumes:
//   // "control": { "listen": "127.0.0.1:8470", "auditFile": "audit.log",        // default: audit.log in dataDirectory
//   //   "credentials": [ { "name": "server", "tokenFile": "server.token", "role": "admin" },
//   //                    { "name": "agent-host1", "tokenFile": "host1.token", "role": "agent", "volumes": [3],
//   //                      "luns": ["127.0.0.1:10809/0"], "restorePorts": ["127.0.0.1:10810/0"] } ] },
//   "dataPorts": [ { "listen": "127.0.0.1:10809" },
//                  { "listen": "127.0.0.1:10810", "handshakeTimeoutSeconds": 10, "maxConnectionsPerPeer": 64 },
//                  { "listen": "127.0.0.1:10811", "tls": "require", "pskFile": "nbd.psk" },        // psktool format
//                  { "listen": "127.0.0.1:10812", "tls": "require", "certificateFile": "nbd.crt",
//                    "keyFile": "nbd.key", "clientCaFile": "hosts-ca.crt" } ],                  // X.509, PEM
//   "peers": { "ARRAY-02": { "url": "https://127.0.0.1:8471", "token": "…",    // or "tokenFile"; other arrays, for volume copy (FIG. 19)
//                            "fingerprint": "AB:CD:…" } }                       // or "caFile": "ca.pem"; neither: the system's trust store
//            // a peer may add "nbdTls": { "pskFile": "peer.psk", "username": "ARRAY-01" } for its data ports (docs/SECURITY.md)
// }
// A relative dataDirectory, tokenFile, certificateFile, keyFile, caFile nbdTls file or data-port TLS file is relative to the configuration file's folder.

public sealed record ArrayConfig
{
    public required string DeviceId { get; init; }
    public required string DataDirectory { get; init; }
    public required ControlEndpointConfig Control { get; init; }
    public required IReadOnlyList<DataPortConfig> DataPorts { get; init; }
    public IReadOnlyDictionary<string, PeerArrayConfig> Peers { get; init; } = new Dictionary<string, PeerArrayConfig>();
    /// <summary>Optional: <c>{ "format": "simple" | "systemd" | "json", "level": "information" }</c> (docs/logging.md).</summary>
    public LoggingConfig? Logging { get; init; }
}

public sealed record ControlEndpointConfig : ControlListenerConfig
{
    /// <summary>host:port of the HTTP control API.</summary>
    public required string Listen { get; init; }
}

public sealed record DataPortConfig
{
    /// <summary>host:port of the NBD listener; also the port's address in assignments.</summary>
    public required string Listen { get; init; }

    /// <summary>Seconds a client has to finish the NBD handshake (GO) before it is dropped; default 10.</summary>
    public double? HandshakeTimeoutSeconds { get; init; }

    /// <summary>Connections one client address may hold on this port at once; default 64.</summary>
    public int? MaxConnectionsPerPeer { get; init; }

    /// <summary>NBD over TLS (STARTTLS): "off" (default), "allow" (plain or TLS) or "require".</summary>
    public string? Tls { get; init; }

    /// <summary>X.509: the server certificate, PEM (with <see cref="KeyFile"/>).</summary>
    public string? CertificateFile { get; init; }

    /// <summary>X.509: the server certificate's private key, PEM.</summary>
    public string? KeyFile { get; init; }

    /// <summary>X.509, optional: clients must present a certificate signed by this CA (PEM); its subject is the client's identity.</summary>
    public string? ClientCaFile { get; init; }

    /// <summary>PSK: keys in psktool's format (<c>username:hexkey</c> a line); the username is the client's identity.</summary>
    public string? PskFile { get; init; }
}

/// <summary>A peer array's control API. After loading, its token is read, from its file when one was named.</summary>
public sealed record PeerArrayConfig : PeerEndpointConfig
{
    public required string Url { get; init; }

    /// <summary>
    /// TLS towards the peer's data ports for volume copy (FIG. 19), the "nbdTls" block:
    /// <c>{ "pskFile": "peer.psk", "username": "ARRAY-01" }</c> or <c>{ "caFile": …, "fingerprint": … }</c>.
    /// Left out: plain NBD.
    /// </summary>
    public NbdClientTlsConfig? NbdTls { get; init; }

    /// <summary>What <see cref="NbdTls"/> resolved to at load (keys and certificates read); never in the file.</summary>
    [JsonIgnore]
    public NbdClientTls? NbdTlsCredentials { get; init; }
}
