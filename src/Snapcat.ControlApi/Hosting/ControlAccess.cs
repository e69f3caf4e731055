using Snapcat.Core.Security;

namespace Snapcat.ControlApi.Hosting;

/// <summary>Who may call a control API (its credentials) and where its calls are audited (null: not audited).</summary>
public sealed record ControlAccess(IReadOnlyList<Credential> Credentials, string? AuditFile);
