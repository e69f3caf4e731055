using System.Text.Json;
using Snapcat.Core.Config;
using Snapcat.Core.Security;

namespace Snapcat.Agent.Config;

/// <summary>
/// Reads the agent's JSON configuration, resolves relative paths against the file's folder, reads
/// token files (<see cref="TokenSource"/>), and validates the result. Any problem → <see cref="AgentConfigException"/>
/// listing all. JSON is read as the other daemons read theirs (<see cref="ConfigFile.Json"/>); every member has a
/// default, so a file with several mistakes still deserialises and the validator can name them all.
/// </summary>
public static class AgentConfigLoader
{
    public static AgentConfig Load(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new AgentConfigException(full, ["the file does not exist"]);
        string text;
        try
        {
            text = File.ReadAllText(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AgentConfigException(full, [$"cannot read the file: {ex.Message}"]);
        }
        return Parse(text, Path.GetDirectoryName(full)!, full);
    }

    /// <summary>Parses configuration text; <paramref name="baseDirectory"/> anchors relative paths.</summary>
    public static AgentConfig Parse(string json, string baseDirectory, string sourceName = "agent configuration")
    {
        AgentConfig? raw;
        try
        {
            raw = JsonSerializer.Deserialize<AgentConfig>(json, ConfigFile.Json);
        }
        catch (JsonException ex)
        {
            // Names the key, JSON path and line: "unknown key 'hoks' at $.hoks (line 7); known keys here: …".
            throw new AgentConfigException(sourceName, [ConfigFile.Describe(ex, typeof(AgentConfig)).Message]);
        }
        if (raw is null) throw new AgentConfigException(sourceName, ["the file holds JSON null, not a configuration object"]);

        var problems = new List<string>();
        var config = Resolve(raw, baseDirectory, problems);
        AgentConfigValidator.Validate(config, problems);
        LoggingConfig.Check(config.Logging, problems);
        if (problems.Count > 0) throw new AgentConfigException(sourceName, problems);
        return config;
    }

    private static AgentConfig Resolve(AgentConfig c, string baseDir, List<string> problems)
    {
        string Abs(string p) => p.Length == 0 ? p : Path.GetFullPath(p, baseDir);

        // control.token is the admin credential "control"; control.credentials are read beside it. Neither is
        // left to the validator, which words it for the agent.
        string? token = c.Control is null ? null : ReadToken(c.Control, "control", baseDir, problems);
        var credentials = new List<Credential>();
        if (!string.IsNullOrEmpty(token)) credentials.Add(new Credential(Credential.ControlTokenName, token, CredentialRole.Admin));
        if (c.Control?.Credentials is { Count: > 0 })
            credentials.AddRange(CredentialSource.Read(c.Control with { Token = null, TokenFile = null }, baseDir, [CredentialRole.Admin, CredentialRole.ReadOnly], problems));
        return c with
        {
            StateDirectory = Abs(c.StateDirectory),
            Control = c.Control is null ? null! : c.Control with
            {
                Token = token,
                AuditFile = string.IsNullOrWhiteSpace(c.Control.AuditFile) ? null : Abs(c.Control.AuditFile),
                Tls = ControlTlsSource.Read(c.Control, "agent", baseDir, problems) is { } tls
                    ? new ControlTlsConfig { CertificateFile = tls.CertificateFile, KeyFile = tls.KeyFile } : c.Control.Tls,
            },
            ControlCredentials = credentials,
            RestorePorts = c.RestorePorts.Select(r => r with { MountDirectory = Abs(r.MountDirectory) }).ToArray(),
            RestoreDestinations = c.RestoreDestinations?.Select(d => d is null || d.Contains('\0') ? d! : Abs(d)).ToArray()!,
            Arrays = c.Arrays?.ToDictionary(kv => kv.Key, kv => kv.Value is null ? null! : kv.Value with
            {
                Token = ReadToken(kv.Value, $"arrays.{kv.Key}", baseDir, problems),
                CaFile = PeerTrustSource.Read(kv.Value, Uri.TryCreate(kv.Value.Url, UriKind.Absolute, out var u) ? u : null,
                    $"arrays.{kv.Key}", baseDir, problems)?.CaFile ?? kv.Value.CaFile,
                NbdTlsCredentials = kv.Value.NbdTls?.Resolve($"arrays.{kv.Key}.nbdTls", baseDir, problems),
            })!,
        };
    }

    /// <summary>Neither token nor tokenFile is left to the validator, which words it for the agent.</summary>
    private static string? ReadToken(BearerTokenConfig endpoint, string where, string baseDir, List<string> problems) =>
        string.IsNullOrEmpty(endpoint.Token) && string.IsNullOrEmpty(endpoint.TokenFile) ? endpoint.Token : TokenSource.Read(endpoint, where, baseDir, problems);
}
