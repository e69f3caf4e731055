using Snapcat.Core.Config;
using Snapcat.Core.Tls;

namespace Snapcat.Cli.Commands.Connection;

/// <summary>
/// The operator's client profile (<c>client.json</c>): the backup server's URL, token (or tokenFile) and certificate
/// check (caFile or fingerprint), so that an operator never reads server.json. Found at <c>--profile FILE</c>, else
/// <c>$XDG_CONFIG_HOME/snapcat/client.json</c>, else <c>$HOME/.config/snapcat/client.json</c>; explicit options win
/// over it. <c>snapcat init server</c> writes one. Relative paths are relative to the profile's folder.
/// <code>
/// { "url": "https://backup.example:8480", "tokenFile": "server.token", "fingerprint": "AB:CD:…" }
/// </code>
/// </summary>
public sealed record ClientProfile : PeerEndpointConfig
{
    public string? Url { get; init; }

    /// <summary>Where the profile is looked for when no --profile is given (it need not exist).</summary>
    public static string? DefaultPath()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "snapcat", "client.json");
        string? home = Environment.GetEnvironmentVariable("HOME");
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".config", "snapcat", "client.json");
    }

    /// <summary>A profile after reading: URL parsed, token read, trust loaded; a problem is a <c>config.invalid</c> error naming the file.</summary>
    public sealed record Loaded(string Path, Uri Url, string Token, PeerTrust? Trust);

    public static Loaded Load(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        var raw = ConfigFile.Read<ClientProfile>(full);
        var problems = new List<string>();
        string baseDir = System.IO.Path.GetDirectoryName(full) ?? ".";
        Uri? url = null;
        if (string.IsNullOrWhiteSpace(raw.Url) || !Uri.TryCreate(raw.Url, UriKind.Absolute, out url) || (url.Scheme != "http" && url.Scheme != "https"))
        {
            problems.Add($"url '{raw.Url}' is not the backup server's http:// or https:// URL, e.g. https://backup.example:8480");
            url = null;
        }
        string token = TokenSource.Read(raw, "profile", baseDir, problems);
        var trust = PeerTrustSource.Read(raw, url, "profile", baseDir, problems);
        ConfigFile.ThrowIfProblems(full, problems);
        return new Loaded(full, url!, token, trust);
    }
}
