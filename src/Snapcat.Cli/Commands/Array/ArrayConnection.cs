using System.CommandLine;
using System.Net;
using System.Text.Json;
using Snapcat.Array.Api;
using Snapcat.Array.Config;
using Snapcat.Core.Errors;

namespace Snapcat.Cli;

/// <summary>
/// Which array a command talks to. In order: <c>--url</c>/<c>--token</c>; the control endpoint of the
/// array's own configuration (<c>--config array.json</c>); <c>SNAPCAT_ARRAY_URL</c>/<c>SNAPCAT_ARRAY_TOKEN</c>.
/// </summary>
public static class ArrayConnection
{
    public const string UrlVariable = "SNAPCAT_ARRAY_URL", TokenVariable = "SNAPCAT_ARRAY_TOKEN";

    private static readonly JsonSerializerOptions ConfigJson = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static readonly Option<string> Url = new("--url")
    {
        Description = $"Control API of the array, e.g. http://127.0.0.1:8470 (or ${UrlVariable})",
        Recursive = true,
    };

    public static readonly Option<string> Token = new("--token")
    {
        Description = $"Bearer token of the control API (or ${TokenVariable})",
        Recursive = true,
    };

    public static readonly Option<FileInfo> Config = new("--config")
    {
        Description = "The array's configuration file (array.json): serve it, or take its control address and token",
        Recursive = true,
    };

    public static ArrayClient Open(ParseResult r)
    {
        string? url = r.GetValue(Url);
        string? token = r.GetValue(Token);
        var configFile = r.GetValue(Config);
        if (configFile is not null && (url is null || token is null))
        {
            var (configUrl, configToken) = FromConfig(configFile.FullName);
            url ??= configUrl;
            token ??= configToken;
        }
        url ??= Environment.GetEnvironmentVariable(UrlVariable);
        token ??= Environment.GetEnvironmentVariable(TokenVariable);
        if (string.IsNullOrWhiteSpace(url))
            throw new UsageException("cli.no_array",
                $"which array? pass --url and --token, set {UrlVariable} and {TokenVariable}, or pass --config with the array's configuration file");
        if (string.IsNullOrEmpty(token))
            throw new UsageException("cli.no_token",
                $"no token for the array at {url}: pass --token or set {TokenVariable} (the control.token of the array's configuration)");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new UsageException("cli.bad_url", $"'{url}' is not an http:// or https:// URL, e.g. http://127.0.0.1:8470");
        return new ArrayClient(uri, token);
    }

    /// <summary>Reads the control endpoint of an array configuration; a wildcard listen address is reached on loopback.</summary>
    public static (string Url, string Token) FromConfig(string path)
    {
        ArrayConfig config;
        try
        {
            config = JsonSerializer.Deserialize<ArrayConfig>(File.ReadAllText(path), ConfigJson)
                ?? throw new JsonException("the file is JSON null");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SnapcatException(ErrorKind.Invalid, "config.unreadable", $"cannot read the array configuration {path}: {ex.Message}", ex);
        }
        catch (JsonException ex)
        {
            throw new SnapcatException(ErrorKind.Invalid, "config.invalid", $"the array configuration {path} is not valid: {ex.Message}", ex);
        }
        if (!TrySplitHostPort(config.Control.Listen, out string host, out string port))
            Throw.Invalid("config.invalid", $"control.listen '{config.Control.Listen}' in {path} is not host:port");
        if (IPAddress.TryParse(host, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)))
            host = ip.Equals(IPAddress.Any) ? "127.0.0.1" : "::1";
        string urlHost = host.Contains(':') ? $"[{host}]" : host;
        string? token = config.Control.Token;
        if (token is null && config.Control.TokenFile is { } tokenFile)
        {
            string tokenPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, tokenFile);
            try { token = File.ReadAllText(tokenPath).Trim(); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SnapcatException(ErrorKind.Invalid, "config.unreadable", $"cannot read the token file {tokenPath} named in {path}: {ex.Message}", ex);
            }
        }
        if (string.IsNullOrEmpty(token))
            Throw.Invalid("config.invalid", $"the array configuration {path} has neither control.token nor control.tokenFile");
        return ($"http://{urlHost}:{port}", token);
    }

    private static bool TrySplitHostPort(string text, out string host, out string port)
    {
        host = port = "";
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1) return false;
        host = text[..colon].Trim('[', ']');
        port = text[(colon + 1)..];
        return host.Length > 0 && port.All(char.IsAsciiDigit);
    }
}
