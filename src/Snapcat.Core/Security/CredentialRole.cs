namespace Snapcat.Core.Security;

/// <summary>
/// What a control API credential may do. The backup server knows <see cref="Admin"/>, <see cref="Operator"/> and
/// <see cref="ReadOnly"/>; an array <see cref="Admin"/> and <see cref="Agent"/> (limited to the host's volumes, and
/// <see cref="ReadOnly"/>); an agent <see cref="Admin"/> (the backup server) and <see cref="ReadOnly"/> (monitoring).
/// Numeric values are not persisted: the audit log and configurations carry <see cref="CredentialRoles.Name"/>.
/// </summary>
public enum CredentialRole
{
    ReadOnly,
    Operator,
    Agent,
    Admin,
}

public static class CredentialRoles
{
    /// <summary>The role's name in configurations, refusals and the audit log.</summary>
    public static string Name(this CredentialRole role) => role switch
    {
        CredentialRole.ReadOnly => "read-only",
        CredentialRole.Operator => "operator",
        CredentialRole.Agent => "agent",
        CredentialRole.Admin => "admin",
        _ => role.ToString(),
    };

    public static bool TryParse(string? text, out CredentialRole role)
    {
        foreach (var r in Enum.GetValues<CredentialRole>())
        {
            if (string.Equals(text, r.Name(), StringComparison.Ordinal))
            {
                role = r;
                return true;
            }
        }
        role = default;
        return false;
    }

    /// <summary>
    /// Whether a credential of role <paramref name="held"/> may call a route that needs <paramref name="needed"/>:
    /// admin may do everything; operator what read-only may and its own; agent what read-only may (within its
    /// scope) and its own. Operator and agent belong to different daemons and never satisfy each other.
    /// </summary>
    public static bool Satisfies(this CredentialRole held, CredentialRole needed) =>
        held == needed || held == CredentialRole.Admin || needed == CredentialRole.ReadOnly;
}
