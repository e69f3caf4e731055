using Snapcat.Core.Security;
using Snapcat.Nbd;
using Snapcat.Nbd.Tls;

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

    /// <summary>The control API's HTTPS certificate and key; null: plain HTTP, which the file asked for with <c>"insecure": true</c>.</summary>
    public Snapcat.Core.Tls.ControlTls? ControlTls { get; init; }

    /// <summary>Who may call the control API; by default one admin credential for <see cref="Token"/>.</summary>
    public IReadOnlyList<Credential> Credentials { get; init; } = [new Credential(Credential.ControlTokenName, Token, CredentialRole.Admin)];

    /// <summary>The audit log of mutating calls; null: not audited.</summary>
    public string? AuditFile { get; init; }

    /// <summary>The TLS settings of each data port, in the order of <see cref="DataPorts"/>.</summary>
    public IReadOnlyList<DataPortTls> DataPortTls { get; init; } = DataPorts.Select(_ => Config.DataPortTls.Off).ToList();

    /// <summary>The <c>logging</c> block (format, level); null: the defaults.</summary>
    public Snapcat.Core.Config.LoggingConfig? Logging { get; init; }
}

/// <param name="Mode">The port's STARTTLS policy.</param>
/// <param name="Credentials">Loaded at config load (so a bad file fails the start); null when Mode is Off.</param>
public sealed record DataPortTls(NbdTlsMode Mode, INbdTlsServerCredentials? Credentials)
{
    public static readonly DataPortTls Off = new(NbdTlsMode.Off, null);
}

/// <param name="HandshakeTimeout">A client that has not finished the NBD handshake by then is dropped.</param>
/// <param name="MaxConnectionsPerPeer">Connections one client address may hold on the port at once.</param>
public sealed record DataPortLimits(TimeSpan HandshakeTimeout, int MaxConnectionsPerPeer)
{
    public static readonly DataPortLimits Default = new(Snapcat.Nbd.Server.NbdServer.DefaultHandshakeTimeout, Snapcat.Nbd.Server.NbdServer.DefaultMaxConnectionsPerPeer);
}
