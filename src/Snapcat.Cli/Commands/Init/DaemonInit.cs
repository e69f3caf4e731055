using System.Security.Cryptography;
using System.Text;
using Snapcat.Agent.Config;
using Snapcat.Array.Config;
using Snapcat.Core.Config;
using Snapcat.Core.Storage;
using Snapcat.Core.Tls;
using Snapcat.Server.Config;

namespace Snapcat.Cli.Commands.Init;

/// <summary>
/// What <c>snapcat init array|agent|server [--dir DIR]</c> writes: a complete starting configuration of the daemon
/// (serialised from its typed record, so the daemon accepts it as it is), the control API's ECDSA key and self-signed
/// certificate (<see cref="ControlCertificate"/>), and a random bearer token in its own file; for the server also the
/// operator's client profile (client.json). The files are named by the daemon (array.json, array.crt, array.key,
/// array.token), so the three daemons of one host share /etc/snapcat. Every file is 0600. Nothing is written when
/// any of them exists, unless <paramref name="Force"/>.
/// </summary>
/// <param name="StateDir">The daemon's data (array), state (agent) or catalog and audit log (server) folder, absolute,
/// e.g. /var/lib/snapcat/array; null: relative to <paramref name="Dir"/> ("data", "state", "catalog.db").</param>
/// <param name="Listen">host:port of the control API; default 127.0.0.1 and the daemon's usual port.</param>
/// <param name="Name">The array's device ID or the agent's host name.</param>
/// <param name="ExtraNames">More DNS names or IP addresses for the certificate (the address peers use).</param>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed record DaemonInit(string Daemon, string Dir, string? Listen = null, string? Name = null, IReadOnlyList<string>? ExtraNames = null, bool Force = false,
    string? StateDir = null)
{
    public const string ProfileFile = "client.json";

    /// <summary>Where the daemons' configurations live by default, and their state.</summary>
    public const string DefaultDir = "/etc/snapcat", DefaultStateRoot = "/var/lib/snapcat";

    public string CertificateFile => Daemon + ".crt";
    public string KeyFile => Daemon + ".key";
    public string TokenFile => Daemon + ".token";

    /// <summary>/etc/snapcat/array.json etc.: what <c>snapcat X serve</c> reads without <c>--config</c>.</summary>
    public static string DefaultConfigPath(string daemon) => Path.Combine(DefaultDir, daemon + ".json");

    /// <summary>What was written, and what the peers need.</summary>
    /// <param name="Name">The array's device ID or the agent's host name, as its peers name it; null for the server.</param>
    public sealed record Result(string Daemon, string? Name, string ConfigFile, IReadOnlyList<string> Files, string Url, string Fingerprint,
        string Subject, DateTime NotAfter, string? ProfileFile);

    public static int DefaultPort(string daemon) => daemon switch { "array" => 8470, "agent" => 8490, _ => 8480 };

    public string ConfigPath => Path.Combine(Dir, Daemon + ".json");

    public IReadOnlyList<string> Paths =>
        [ConfigPath, Path.Combine(Dir, CertificateFile), Path.Combine(Dir, KeyFile), Path.Combine(Dir, TokenFile), .. Daemon == "server" ? new[] { Path.Combine(Dir, ProfileFile) } : []];

    public Result Run()
    {
        if (Daemon is not ("array" or "agent" or "server"))
            throw new UsageException("init.bad_daemon", $"'{Daemon}' is not a daemon; snapcat init array|agent|server");
        string listen = Listen ?? $"127.0.0.1:{DefaultPort(Daemon)}";
        if (StateDir is not null && !Path.IsPathFullyQualified(StateDir))
            throw new UsageException("init.bad_state_dir", $"--state-dir '{StateDir}' is not an absolute path, e.g. {DefaultStateRoot}/{Daemon}");
        if (!Snapcat.Nbd.NbdAddress.TryParse(listen, out var address))
            throw new UsageException("init.bad_listen", $"--listen '{listen}' is not host:port, e.g. 0.0.0.0:{DefaultPort(Daemon)}");
        // A refusal changes nothing: every file is checked before the first is written.
        var existing = Paths.Where(File.Exists).ToList();
        if (existing.Count > 0 && !Force)
            throw new SnapcatException(ErrorKind.Conflict, "init.exists",
                $"{string.Join(", ", existing)} already exist{(existing.Count == 1 ? "s" : "")}; nothing was written. Pass --force to replace them " +
                "(a new certificate has a new fingerprint, which every peer must then pin)");
        if (!Directory.Exists(Dir)) Directory.CreateDirectory(Dir, DurableFile.PrivateDirectory);

        string host = System.Net.Dns.GetHostName();
        string? name = Daemon switch { "array" => Name ?? "ARRAY-01", "agent" => Name ?? host, _ => null };
        var names = new List<string>(ExtraNames ?? []);
        if (!IsWildcard(address.Host) && !names.Contains(address.Host)) names.Add(address.Host);
        using var cert = ControlCertificate.Create(host, names);
        ControlCertificate.Write(cert, Path.Combine(Dir, CertificateFile), Path.Combine(Dir, KeyFile));
        string token = NewToken();
        DurableFile.WriteAtomic(Path.Combine(Dir, TokenFile), Encoding.ASCII.GetBytes(token + "\n"));

        var control = (Listen: listen, Tls: new ControlTlsConfig { CertificateFile = CertificateFile, KeyFile = KeyFile });
        switch (Daemon)
        {
            case "array":
                ConfigFile.Write(ConfigPath, new ArrayConfig
                {
                    DeviceId = name!,
                    DataDirectory = StateDir ?? "data",
                    Control = new ControlEndpointConfig { Listen = control.Listen, TokenFile = TokenFile, Tls = control.Tls },
                    // Beside the control API; port 0 there (tests) asks the kernel for free ports here too.
                    DataPorts = [new DataPortConfig { Listen = $"{address.Host}:{(address.Port == 0 ? 0 : 10809)}" }],
                });
                break;
            case "agent":
                ConfigFile.Write(ConfigPath, new AgentConfig
                {
                    HostName = name!,
                    Control = new AgentControlConfig { Listen = control.Listen, TokenFile = TokenFile, Tls = control.Tls },
                    StateDirectory = StateDir ?? "state",
                });
                break;
            default:
                ConfigFile.Write(ConfigPath, new ServerConfig
                {
                    // With a state folder the audit log goes there too (its default is beside server.json, in /etc).
                    Control = new ServerControlConfig
                    {
                        Listen = control.Listen, TokenFile = TokenFile, Tls = control.Tls,
                        AuditFile = StateDir is null ? null : Path.Combine(StateDir, "audit.log"),
                    },
                    Catalog = new ServerCatalogConfig { Path = StateDir is null ? "catalog.db" : Path.Combine(StateDir, "catalog.db") },
                    Agents = new Dictionary<string, RemoteEndpointConfig>(),
                    Arrays = new Dictionary<string, RemoteEndpointConfig>(),
                });
                break;
        }

        string url = $"https://{(IsWildcard(address.Host) ? host : address.Host)}:{address.Port}";
        string fingerprint = CertificateFingerprint.Show(cert);
        string? profile = null;
        if (Daemon == "server")
        {
            // The token inline: the operator installs this one file and never needs server.json.
            profile = Path.Combine(Dir, ProfileFile);
            ConfigFile.Write(profile, new ClientProfile { Url = url, Token = token, Fingerprint = fingerprint });
        }
        return new Result(Daemon, name, ConfigPath, Paths, url, fingerprint, cert.Subject, cert.NotAfter.ToUniversalTime(), profile);
    }

    /// <summary>32 random bytes, URL-safe base64: 256 bits a guesser cannot reach.</summary>
    public static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool IsWildcard(string host) => host is "0.0.0.0" or "::" or "[::]";
}
