using System.Globalization;
using Snapcat.Core.Security;

namespace Snapcat.Core.Config;

/// <summary>
/// Reads the credentials of a <see cref="ControlAccessConfig"/>: the single <c>token</c>/<c>tokenFile</c> (an
/// admin credential named <c>control</c>, so configurations from before named credentials keep working) and the
/// <c>credentials</c> list, each checked against the roles the daemon knows. Every problem goes to
/// <c>problems</c> with its config path, as the other config checks do.
/// </summary>
public static class CredentialSource
{
    /// <param name="roles">The roles this daemon knows.</param>
    /// <param name="normalizePort">Parses a data port address of a scope (host:port), or returns null when it is not one;
    /// null when the daemon has no scoped credentials.</param>
    public static IReadOnlyList<Credential> Read(ControlAccessConfig control, string baseDir, IReadOnlyCollection<CredentialRole> roles,
        List<string> problems, Func<string, string?>? normalizePort = null)
    {
        var result = new List<Credential>();
        bool single = !string.IsNullOrEmpty(control.Token) || !string.IsNullOrEmpty(control.TokenFile);
        var list = control.Credentials ?? [];
        if (!single && list.Count == 0)
        {
            problems.Add("control: a bearer token is required; set control.token or control.tokenFile, or list control.credentials");
            return result;
        }
        if (single)
        {
            string token = TokenSource.Read(control, "control", baseDir, problems);
            if (token.Length > 0) result.Add(new Credential(Credential.ControlTokenName, token, CredentialRole.Admin));
        }
        string known = string.Join(", ", roles.Select(r => r.Name()));
        for (int i = 0; i < list.Count; i++)
        {
            string at = $"control.credentials[{i}]";
            var c = list[i];
            if (c is null)
            {
                problems.Add($"{at} is null");
                continue;
            }
            if (!IsValidName(c.Name))
                problems.Add($"{at}.name '{c.Name}' is not valid: 1 to 64 letters, digits, '.', '_', ':' or '-'");
            else if (result.Any(r => r.Name == c.Name))
                problems.Add($"{at}.name '{c.Name}' is used twice" + (c.Name == Credential.ControlTokenName ? " (control.token is the credential 'control')" : ""));
            if (!CredentialRoles.TryParse(c.Role, out var role) || !roles.Contains(role))
            {
                problems.Add($"{at}.role '{c.Role}' is not a role of this daemon; use one of {known}");
                continue;
            }
            string t = TokenSource.Read(c, at, baseDir, problems);
            if (t.Length > 0 && result.Any(r => r.Token == t))
                problems.Add($"{at}: its token is also the token of credential '{result.First(r => r.Token == t).Name}'; each credential needs its own token");
            var credential = new Credential(c.Name, t, role);
            bool hasScope = c.Volumes is { Count: > 0 } || c.Luns is { Count: > 0 } || c.RestorePorts is { Count: > 0 };
            if (role != CredentialRole.Agent)
            {
                if (hasScope) problems.Add($"{at}: volumes, luns and restorePorts limit an agent credential; a credential of role {role.Name()} has no scope");
            }
            else
            {
                if (c.Volumes is not { Count: > 0 } && c.Luns is not { Count: > 0 })
                    problems.Add($"{at}: an agent credential needs the host's volumes (volumes: [3, 4], or luns: [\"host:port/lun\"])");
                if (c.Volumes?.Contains(0u) == true) problems.Add($"{at}.volumes: 0 is not a volume number (they start at 1)");
                credential = credential with
                {
                    Volumes = c.Volumes?.Distinct().ToList() ?? [],
                    Luns = PortLuns(c.Luns, $"{at}.luns", normalizePort, problems),
                    RestorePorts = PortLuns(c.RestorePorts, $"{at}.restorePorts", normalizePort, problems),
                };
            }
            if (t.Length > 0) result.Add(credential);
        }
        return result;
    }

    /// <summary>The audit file: <c>control.auditFile</c> (relative to the configuration's folder) or <paramref name="defaultPath"/>.</summary>
    public static string AuditFile(ControlAccessConfig control, string baseDir, string defaultPath) =>
        string.IsNullOrWhiteSpace(control.AuditFile) ? defaultPath : Path.GetFullPath(control.AuditFile, baseDir);

    private static List<PortLun> PortLuns(IReadOnlyList<string>? texts, string at, Func<string, string?>? normalizePort, List<string> problems)
    {
        var result = new List<PortLun>();
        for (int i = 0; i < (texts?.Count ?? 0); i++)
        {
            string? text = texts![i];
            int slash = text?.LastIndexOf('/') ?? -1;
            string? port = slash > 0 ? normalizePort?.Invoke(text![..slash]) : null;
            if (port is null || !uint.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out uint lun))
                problems.Add($"{at}[{i}] '{text}' is not host:port/lun (e.g. 127.0.0.1:10809/0)");
            else
                result.Add(new PortLun(port, lun));
        }
        return result;
    }

    private static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= 64 } && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or ':' or '-');
}
