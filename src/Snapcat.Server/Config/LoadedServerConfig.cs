using Snapcat.Core.Security;
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
    TimeSpan? MinimumScheduleInterval = null)
{
    /// <summary>The control API's HTTPS certificate and key; null: plain HTTP, which the file asked for with <c>"insecure": true</c>.</summary>
    public Snapcat.Core.Tls.ControlTls? ControlTls { get; init; }

    /// <summary>Who may call the control API; by default one admin credential for <see cref="Token"/>.</summary>
    public IReadOnlyList<Credential> Credentials { get; init; } = [new Credential(Credential.ControlTokenName, Token, CredentialRole.Admin)];

    /// <summary>The audit log of mutating calls; null: not audited.</summary>
    public string? AuditFile { get; init; }

    /// <summary>Webhooks and e-mail of the <c>notifications</c> section; none when it is absent.</summary>
    public Snapcat.Server.Notifications.NotificationSettings Notifications { get; init; } = Snapcat.Server.Notifications.NotificationSettings.None;
    /// <summary>The <c>logging</c> block (format, level); null: the defaults.</summary>
    public Snapcat.Core.Config.LoggingConfig? Logging { get; init; }
    /// <summary>The <c>stateCopy</c> block; null: the state copy is written, 2 s after the last change.</summary>
    public ServerStateCopyConfig? StateCopy { get; init; }
    /// <summary>The <c>drift</c> block: when the drift reconcile runs (docs/drift.md); by default daily at 04:00 UTC.</summary>
    public global::Snapcat.Server.Drift.DriftSettings Drift { get; init; } = global::Snapcat.Server.Drift.DriftSettings.Default;
}

/// <param name="Trust">How the peer's certificate is checked (pinned fingerprint, CA file); null: the system's trust store.</param>
public sealed record RemoteEndpoint(Uri Url, string Token, Snapcat.Core.Tls.PeerTrust? Trust = null);
