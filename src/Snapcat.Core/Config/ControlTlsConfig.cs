namespace Snapcat.Core.Config;

/// <summary>
/// The <c>"tls"</c> object of a daemon's <c>control</c> section: the PEM certificate (chain) and its PEM
/// private key that the control API serves HTTPS with. Relative paths are relative to the configuration's folder.
/// <c>snapcat init</c> writes both (<c>control.crt</c>, <c>control.key</c>).
/// </summary>
public sealed record ControlTlsConfig
{
    public string? CertificateFile { get; init; }
    public string? KeyFile { get; init; }
}

/// <summary>
/// The <c>control</c> section shared by the three daemons: the bearer token, and HTTPS (<see cref="Tls"/>) unless
/// the file says <c>"insecure": true</c> (plain HTTP, for a trusted network or a test). Read with <see cref="ControlTlsSource"/>.
/// </summary>
public abstract record ControlListenerConfig : ControlAccessConfig
{
    public ControlTlsConfig? Tls { get; init; }

    /// <summary>Plain HTTP on the control API: tokens and data descriptions travel in clear text.</summary>
    public bool Insecure { get; init; }
}

/// <summary>
/// A remote control API a daemon or the CLI calls: its bearer token and how its certificate is checked.
/// <see cref="Fingerprint"/> pins the peer's certificate (SHA-256 of its DER, hex, colons optional);
/// <see cref="CaFile"/> names a PEM file of CA certificates the peer's chain must build to; neither means the
/// system's trust store. Read with <see cref="PeerTrustSource"/>.
/// </summary>
public abstract record PeerEndpointConfig : BearerTokenConfig
{
    public string? CaFile { get; init; }
    public string? Fingerprint { get; init; }
}
