using System.CommandLine;
using System.Net;
using Snapcat.Core.Config;
using Snapcat.Core.Tls;
using Snapcat.Nbd;

namespace Snapcat.Cli.Commands.Connection;

/// <summary>
/// Which daemon a client command talks to, and the client for it. In order: the URL option and
/// <c>--token</c>; the control endpoint of the daemon's own configuration (<c>--config</c>, read by the
/// daemon's loader, so the CLI accepts exactly the files the daemon accepts; its own certificate is pinned);
/// the environment variables; for the backup server, the operator's client profile (<see cref="ClientProfile"/>).
/// The peer's certificate is checked with <c>--fingerprint</c> or <c>--ca-file</c> when given, else with what the
/// source of the URL says, else with the system's trust store. One of these serves the array commands, one the backup server's.
/// </summary>
public sealed class ControlConnection<TClient> where TClient : IDisposable
{
    private readonly string _name, _configFile, _tokenHint, _exampleUrl;
    private readonly Func<string, (NbdAddress Listen, string Token, ControlTls? Tls)> _fromConfig;
    private readonly Func<Uri, string, PeerTrust?, TClient> _client;
    private readonly bool _profiles;

    /// <param name="daemon">The daemon's short name, which its variables, codes and file follow: "array" → SNAPCAT_ARRAY_URL, cli.no_array, array.json.</param>
    /// <param name="name">The daemon in messages: "array", "backup server".</param>
    /// <param name="port">The daemon's usual control port, for the examples.</param>
    /// <param name="urlOption">The URL option, e.g. --url, and what it is ("Control API of the array").</param>
    /// <param name="tokenOf">Whose token <c>--token</c> is: "the control API".</param>
    /// <param name="configFile">What <c>--config</c> takes, in the message when nothing names the daemon.</param>
    /// <param name="tokenHint">Where the token is in the daemon's configuration.</param>
    /// <param name="profiles">Whether the client profile (client.json, <c>--profile</c>) names this daemon (the backup server).</param>
    public ControlConnection(string daemon, string name, int port, (string Name, string What) urlOption, string tokenOf, string configFile,
        string tokenHint, Func<string, (NbdAddress Listen, string Token, ControlTls? Tls)> fromConfig, Func<Uri, string, PeerTrust?, TClient> client,
        bool profiles = false)
    {
        (_name, _configFile, _tokenHint, _fromConfig, _client, _profiles) = (name, configFile, tokenHint, fromConfig, client, profiles);
        _exampleUrl = $"https://127.0.0.1:{port}";
        UrlVariable = $"SNAPCAT_{daemon.ToUpperInvariant()}_URL";
        TokenVariable = $"SNAPCAT_{daemon.ToUpperInvariant()}_TOKEN";
        FingerprintVariable = $"SNAPCAT_{daemon.ToUpperInvariant()}_FINGERPRINT";
        CaFileVariable = $"SNAPCAT_{daemon.ToUpperInvariant()}_CA_FILE";
        NoDaemonCode = "cli.no_" + daemon;
        Url = new(urlOption.Name) { Description = $"{urlOption.What}, e.g. {_exampleUrl} (or ${UrlVariable})", Recursive = true };
        Token = new("--token") { Description = $"Bearer token of {tokenOf} (or ${TokenVariable})", Recursive = true };
        Config = new("--config")
        {
            Description = $"The {daemon}'s configuration file ({daemon}.json): serve it, or take its control address and token",
            Recursive = true,
        };
        Fingerprint = new("--fingerprint")
        {
            Description = $"SHA-256 fingerprint the {name}'s certificate must have, AB:CD:… as snapcat init prints it (or ${FingerprintVariable})",
            Recursive = true,
        };
        CaFile = new("--ca-file")
        {
            Description = $"PEM file of the CA that signed the {name}'s certificate (or ${CaFileVariable}); neither this nor --fingerprint: the system's trust store",
            Recursive = true,
        };
        if (profiles)
            Profile = new("--profile")
            {
                Description = "Client profile with the server's url, token and fingerprint (default $XDG_CONFIG_HOME/snapcat/client.json or ~/.config/snapcat/client.json)",
                Recursive = true,
            };
    }

    public string FingerprintVariable { get; }

    public string CaFileVariable { get; }

    public Option<string> Fingerprint { get; }

    public Option<FileInfo> CaFile { get; }

    /// <summary>Only for the backup server: the operator's client profile.</summary>
    public Option<FileInfo>? Profile { get; }

    public string UrlVariable { get; }

    public string TokenVariable { get; }

    /// <summary>The error code of a command that names no daemon: <c>cli.no_array</c>.</summary>
    public string NoDaemonCode { get; }

    public Option<string> Url { get; }

    public Option<string> Token { get; }

    public Option<FileInfo> Config { get; }

    /// <summary>Adds the connection options to a command group; they are recursive, so every subcommand takes them.</summary>
    public Command WithOptions(Command group)
    {
        group.Options.Add(Url);
        group.Options.Add(Token);
        group.Options.Add(Config);
        group.Options.Add(Fingerprint);
        group.Options.Add(CaFile);
        if (Profile is not null) group.Options.Add(Profile);
        return group;
    }

    public TClient Open(ParseResult r)
    {
        string? url = r.GetValue(Url);
        string? token = r.GetValue(Token);
        string? fingerprint = r.GetValue(Fingerprint);
        string? caFile = r.GetValue(CaFile)?.FullName;
        // The certificate check given outright, else the one of the source that named the URL.
        PeerTrust? sourceTrust = null;
        if (r.GetValue(Config) is { } file && (url is null || token is null))
        {
            var (listen, configToken, tls) = _fromConfig(file.FullName);
            if (url is null)
            {
                url = ReachableUrl(listen, tls is not null);
                // The daemon's own configuration names its certificate: pin exactly that one.
                if (tls is not null) sourceTrust = PinCertificateFile(tls.CertificateFile);
            }
            token ??= configToken;
        }
        if (url is null && Environment.GetEnvironmentVariable(UrlVariable) is { Length: > 0 } envUrl)
        {
            url = envUrl;
            fingerprint ??= Environment.GetEnvironmentVariable(FingerprintVariable) is { Length: > 0 } f ? f : null;
            caFile ??= Environment.GetEnvironmentVariable(CaFileVariable) is { Length: > 0 } c ? c : null;
        }
        token ??= Environment.GetEnvironmentVariable(TokenVariable);
        if (Profile is not null && (url is null || token is null) && FindProfile(r) is { } profilePath)
        {
            var profile = ClientProfile.Load(profilePath);
            if (url is null)
            {
                url = profile.Url.ToString();
                sourceTrust = profile.Trust;
            }
            if (token is null && profile.Url.ToString() == new Uri(url).ToString()) token = profile.Token;
        }
        if (string.IsNullOrWhiteSpace(url))
            throw new UsageException(NoDaemonCode,
                $"which {_name}? pass {Url.Name} and --token, set {UrlVariable} and {TokenVariable}, or pass --config with {_configFile}" +
                (Profile is null ? "" : $", or write a client profile ({ClientProfile.DefaultPath() ?? "~/.config/snapcat/client.json"}, or --profile FILE; snapcat init server writes one)"));
        if (string.IsNullOrEmpty(token))
            throw new UsageException("cli.no_token", $"no token for the {_name} at {url}: pass --token or set {TokenVariable} ({_tokenHint})");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new UsageException("cli.bad_url", $"'{url}' is not an http:// or https:// URL, e.g. {_exampleUrl}");
        PeerTrust? trust = sourceTrust;
        if (fingerprint is not null || caFile is not null)
        {
            var problems = new List<string>();
            trust = PeerTrustSource.Read(caFile, fingerprint, uri, "--fingerprint/--ca-file", Environment.CurrentDirectory, problems);
            if (problems.Count > 0) throw new UsageException("cli.bad_tls", string.Join("; ", problems));
        }
        return _client(uri, token, trust);
    }

    private string? FindProfile(ParseResult r)
    {
        if (Profile is not null && r.GetValue(Profile) is { } explicitProfile)
        {
            if (!explicitProfile.Exists) throw new UsageException("cli.no_profile", $"client profile {explicitProfile.FullName} does not exist");
            return explicitProfile.FullName;
        }
        return ClientProfile.DefaultPath() is { } d && File.Exists(d) ? d : null;
    }

    private static PeerTrust PinCertificateFile(string path)
    {
        try
        {
            var certs = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            certs.ImportFromPemFile(path);
            if (certs.Count == 0) throw new System.Security.Cryptography.CryptographicException("no -----BEGIN CERTIFICATE----- in it");
            var trust = PeerTrust.Pin(certs[0]);
            foreach (var c in certs) c.Dispose();
            return trust;
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new SnapcatException(ErrorKind.Invalid, "config.tls_bad_pem", $"control.tls.certificateFile {path} cannot be read as a PEM certificate: {ex.Message}", ex);
        }
    }

    /// <summary>Runs <paramref name="body"/> with a client of the daemon the options name.</summary>
    public void SetAction(Command command, Func<ParseResult, TClient, CancellationToken, Task> body) =>
        command.SetAction(async (r, ct) =>
        {
            using var client = Open(r);
            await body(r, client, ct).ConfigureAwait(false);
        });

    /// <summary>A daemon listening on a wildcard address is reached on loopback.</summary>
    private static string ReachableUrl(NbdAddress listen, bool https)
    {
        string host = listen.Host;
        if (IPAddress.TryParse(host, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)))
            host = ip.Equals(IPAddress.Any) ? "127.0.0.1" : "::1";
        return $"{(https ? "https" : "http")}://{listen with { Host = host }}";
    }
}
