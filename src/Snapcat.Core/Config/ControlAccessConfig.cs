namespace Snapcat.Core.Config;

/// <summary>
/// Who may call a daemon's control API, shared by the three daemons' <c>control</c> sections: the single
/// <c>token</c>/<c>tokenFile</c> of earlier configurations (one admin credential named <c>control</c>), and/or
/// a list of named <see cref="Credentials"/> with roles; and where the audit log is kept. Read with
/// <see cref="CredentialSource"/>.
/// </summary>
public abstract record ControlAccessConfig : BearerTokenConfig
{
    /// <summary>Named credentials, each with its token (or token file) and role; see docs/SECURITY.md.</summary>
    public IReadOnlyList<CredentialConfig>? Credentials { get; init; }

    /// <summary>The audit log (one JSON line per mutating call); default <c>audit.log</c> in the daemon's data or state directory.</summary>
    public string? AuditFile { get; init; }
}

/// <summary>
/// One credential of a control API, e.g. <c>{ "name": "agent-host1", "tokenFile": "host1.token", "role": "agent", "volumes": [3, 4] }</c>.
/// <see cref="Volumes"/>, <see cref="Luns"/> and <see cref="RestorePorts"/> scope an array's <c>agent</c> credential.
/// </summary>
public sealed record CredentialConfig : BearerTokenConfig
{
    /// <summary>The principal's name in the audit log and in refusals.</summary>
    public string Name { get; init; } = "";

    /// <summary><c>admin</c>, <c>operator</c>, <c>read-only</c> or <c>agent</c>, as the daemon allows.</summary>
    public string Role { get; init; } = "";

    /// <summary>Array, role agent: the volume numbers of the host's protected volumes.</summary>
    public IReadOnlyList<uint>? Volumes { get; init; }

    /// <summary>Array, role agent: the host's protected volumes by assignment, <c>"host:port/lun"</c>; the volume assigned there joins the scope.</summary>
    public IReadOnlyList<string>? Luns { get; init; }

    /// <summary>Array, role agent: the host's restore ports, <c>"host:port/lun"</c>, where it may assign its backup volumes and release them.</summary>
    public IReadOnlyList<string>? RestorePorts { get; init; }
}
