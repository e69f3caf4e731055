using Snapcat.Core.Config;
using Snapcat.Core.Security;
using Snapcat.Nbd;

namespace Snapcat.Server.Config;

/// <summary>Reads (<see cref="ConfigFile"/>) and validates <c>server.json</c> (format in <see cref="ServerConfig"/>), reporting every problem in one error.</summary>
public static class ServerConfigLoader
{
    public const string DefaultCatalogFile = "catalog.db";

    public static LoadedServerConfig Load(string configPath) => ConfigFile.Load<ServerConfig, LoadedServerConfig>(configPath, Validate);

    public static LoadedServerConfig Validate(ServerConfig raw, string configPath)
    {
        var problems = new List<string>();
        string baseDir = Path.GetDirectoryName(configPath) ?? ".";

        NbdAddress listen = default;
        string token = "";
        Snapcat.Core.Tls.ControlTls? tls = null;
        IReadOnlyList<Credential> credentials = [];
        string? auditFile = null;
        if (raw.Control is null)
            problems.Add("control is missing; give { \"listen\": \"127.0.0.1:8480\", \"token\": \"...\" }");
        else
        {
            if (!NbdAddress.TryParse(raw.Control.Listen, out listen))
                problems.Add($"control.listen '{raw.Control.Listen}' is not host:port (e.g. 127.0.0.1:8480)");
            credentials = CredentialSource.Read(raw.Control, baseDir, [CredentialRole.Admin, CredentialRole.Operator, CredentialRole.ReadOnly], problems);
            // The token the CLI uses when it reads server.json: the first admin credential's.
            token = credentials.FirstOrDefault(c => c.Role == CredentialRole.Admin)?.Token ?? "";
            auditFile = CredentialSource.AuditFile(raw.Control, baseDir, Path.Combine(baseDir, "audit.log"));
            tls = ControlTlsSource.Read(raw.Control, "server", baseDir, problems);
        }

        string catalog = Path.GetFullPath(DefaultCatalogFile, baseDir);
        if (raw.Catalog is { } c)
        {
            bool hasPath = !string.IsNullOrWhiteSpace(c.Path), hasPg = !string.IsNullOrWhiteSpace(c.ConnectionString);
            if (hasPath && hasPg) problems.Add("catalog: give either path (SQLite) or connectionString (PostgreSQL), not both");
            else if (hasPg) catalog = c.ConnectionString!;
            else if (hasPath) catalog = Path.GetFullPath(c.Path!, baseDir);
        }

        var agents = Endpoints("agents", raw.Agents, baseDir, problems, name => name.Length is > 0 and <= 64 && !name.Any(char.IsWhiteSpace), "a host name without spaces");
        var arrays = Endpoints("arrays", raw.Arrays, baseDir, problems, InquiryDescription.IsValidDeviceId, "a device ID (letters, digits, '.', '_', ':', '-')");

        Tape.TapeLibraryConfig? tape = null;
        if (raw.TapeLibrary is { } t)
        {
            tape = string.IsNullOrWhiteSpace(t.Directory) ? t : t with { Directory = Path.GetFullPath(t.Directory, baseDir) };
            try { tape.Validate(); }
            catch (SnapcatException e) { problems.Add("tapeLibrary: " + e.Message); }
            if (arrays.ContainsKey(t.LibraryId ?? ""))
                problems.Add($"tapeLibrary.libraryId '{t.LibraryId}' is also an array's device ID; catalog rows would not tell them apart");
        }

        TimeSpan? minimum = null;
        if (raw.Scheduling?.MinimumIntervalSeconds is { } seconds)
        {
            if (seconds is < 1 or > 7 * 24 * 3600) problems.Add($"scheduling.minimumIntervalSeconds {seconds} is not between 1 and 604800 (one week)");
            else minimum = TimeSpan.FromSeconds(seconds);
        }

        var notifications = Notifications.NotificationSettingsReader.Read(raw.Notifications, baseDir, problems);
        LoggingConfig.Check(raw.Logging, problems);
        var drift = Drift.DriftSettings.Read(raw.Drift, problems);

        ConfigFile.ThrowIfProblems(configPath, problems);
        return new LoadedServerConfig(configPath, listen, token, catalog, agents, arrays, tape, minimum)
        {
            Logging = raw.Logging,
            StateCopy = raw.StateCopy,
            Credentials = credentials,
            AuditFile = auditFile,
            ControlTls = tls,
            Notifications = notifications,
            Drift = drift,
        };
    }

    private static Dictionary<string, RemoteEndpoint> Endpoints(string section, IReadOnlyDictionary<string, RemoteEndpointConfig>? raw,
        string baseDir, List<string> problems, Func<string, bool> validName, string nameRule)
    {
        var result = new Dictionary<string, RemoteEndpoint>(StringComparer.Ordinal);
        foreach (var (name, e) in raw ?? new Dictionary<string, RemoteEndpointConfig>())
        {
            if (!validName(name)) problems.Add($"{section}: '{name}' is not {nameRule}");
            Uri? url = null;
            if (e is null || !Uri.TryCreate(e.Url, UriKind.Absolute, out url) || (url.Scheme != "http" && url.Scheme != "https"))
                problems.Add($"{section}.{name}.url '{e?.Url}' is not an http:// or https:// URL");
            if (e is null) continue;
            string token = TokenSource.Read(e, $"{section}.{name}", baseDir, problems);
            int before = problems.Count;
            var trust = PeerTrustSource.Read(e, url, $"{section}.{name}", baseDir, problems);
            if (url is not null && token.Length > 0 && problems.Count == before) result[name] = new RemoteEndpoint(url, token, trust);
        }
        return result;
    }
}
