using System.CommandLine;
using System.Net;
using Snapcat.Core.Errors;
using Snapcat.Server.Api;
using Snapcat.Server.Config;

namespace Snapcat.Cli;

/// <summary>
/// Which backup server a client command talks to. In order: <c>--server</c>/<c>--token</c>; the control
/// endpoint of the server's own configuration (<c>--config server.json</c>); <c>SNAPCAT_SERVER_URL</c>/<c>SNAPCAT_SERVER_TOKEN</c>.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class ServerConnection
{
    public const string UrlVariable = "SNAPCAT_SERVER_URL", TokenVariable = "SNAPCAT_SERVER_TOKEN";

    public static readonly Option<string> Url = new("--server")
    {
        Description = $"The backup server's API, e.g. http://127.0.0.1:8480 (or ${UrlVariable})",
        Recursive = true,
    };

    public static readonly Option<string> Token = new("--token")
    {
        Description = $"Bearer token of the backup server (or ${TokenVariable})",
        Recursive = true,
    };

    public static readonly Option<FileInfo> Config = new("--config")
    {
        Description = "The server's configuration file (server.json): serve it, or take its control address and token",
        Recursive = true,
    };

    /// <summary>Adds the connection options to a root-level command (definition, backup, catalog, job).</summary>
    public static Command WithConnection(this Command c)
    {
        c.Options.Add(Url);
        c.Options.Add(Token);
        c.Options.Add(Config);
        return c;
    }

    public static ServerClient Open(ParseResult r)
    {
        string? url = r.GetValue(Url);
        string? token = r.GetValue(Token);
        if (r.GetValue(Config) is { } file && (url is null || token is null))
        {
            var config = ServerConfigLoader.Load(file.FullName);
            string host = config.ControlListen.Host;
            if (IPAddress.TryParse(host, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)))
                host = ip.Equals(IPAddress.Any) ? "127.0.0.1" : "::1";
            url ??= $"http://{(host.Contains(':') ? $"[{host}]" : host)}:{config.ControlListen.Port}";
            token ??= config.Token;
        }
        url ??= Environment.GetEnvironmentVariable(UrlVariable);
        token ??= Environment.GetEnvironmentVariable(TokenVariable);
        if (string.IsNullOrWhiteSpace(url))
            throw new UsageException("cli.no_server",
                $"which backup server? pass --server and --token, set {UrlVariable} and {TokenVariable}, or pass --config with the server's server.json");
        if (string.IsNullOrEmpty(token))
            throw new UsageException("cli.no_token", $"no token for the backup server at {url}: pass --token or set {TokenVariable} (control.token of server.json)");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new UsageException("cli.bad_url", $"'{url}' is not an http:// or https:// URL, e.g. http://127.0.0.1:8480");
        return new ServerClient(uri, token);
    }

    public static void SetServerAction(this Command command, Func<ParseResult, ServerClient, CancellationToken, Task> body) =>
        command.SetAction(async (r, ct) =>
        {
            using var client = Open(r);
            await body(r, client, ct);
            return 0;
        });

    internal static void Require(bool ok, string code, string message)
    {
        if (!ok) throw new UsageException(code, message);
    }

    internal static SnapcatException Usage(string code, string message) => new UsageException(code, message);
}
