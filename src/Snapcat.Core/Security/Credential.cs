namespace Snapcat.Core.Security;

/// <summary>
/// A credential of a control API after loading: its name, token, role, and for an array's agent credential
/// the volumes (<see cref="Volumes"/>, plus those assigned at <see cref="Luns"/>) and restore ports it is limited to.
/// <see cref="IsScoped"/> is false for every credential that may reach all volumes.
/// </summary>
public sealed record Credential(string Name, string Token, CredentialRole Role)
{
    public IReadOnlyList<uint> Volumes { get; init; } = [];

    /// <summary>"host:port/lun" of the host's protected volumes.</summary>
    public IReadOnlyList<PortLun> Luns { get; init; } = [];

    /// <summary>"host:port/lun" of the host's restore ports.</summary>
    public IReadOnlyList<PortLun> RestorePorts { get; init; } = [];

    public bool IsScoped => Role == CredentialRole.Agent;

    /// <summary>The name of the single <c>control.token</c> of earlier configurations, an admin credential.</summary>
    public const string ControlTokenName = "control";
}

/// <summary>A data port address (host:port, as the array writes it) and a LUN.</summary>
public readonly record struct PortLun(string Port, uint Lun)
{
    public override string ToString() => $"{Port}/{Lun}";
}
