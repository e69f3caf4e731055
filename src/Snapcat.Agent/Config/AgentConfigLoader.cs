using System.Text.Json;

namespace Snapcat.Agent.Config;

/// <summary>
/// Reads the agent's JSON configuration, resolves relative paths against the file's folder, reads
/// token files, and validates the result. Any problem → <see cref="AgentConfigException"/> listing all.
/// </summary>
public static class AgentConfigLoader
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
    };

    public static AgentConfig Load(string path)
    {
        string full = Path.GetFullPath(path);
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
            raw = JsonSerializer.Deserialize<AgentConfig>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            // The message carries the JSON path and line, e.g. "$.portCorrespondence[0].lun | LineNumber: 7".
            throw new AgentConfigException(sourceName, [$"not valid configuration JSON: {ex.Message}"]);
        }
        if (raw is null) throw new AgentConfigException(sourceName, ["the file holds JSON null, not a configuration object"]);

        var problems = new List<string>();
        var config = Resolve(raw, baseDirectory, problems);
        AgentConfigValidator.Validate(config, problems);
        if (problems.Count > 0) throw new AgentConfigException(sourceName, problems);
        return config;
    }

    private static AgentConfig Resolve(AgentConfig c, string baseDir, List<string> problems)
    {
        string Abs(string p) => p.Length == 0 ? p : Path.GetFullPath(p, baseDir);

        return c with
        {
            StateDirectory = Abs(c.StateDirectory),
            Control = c.Control with { Token = ReadToken(c.Control.Token, c.Control.TokenFile, "control", baseDir, problems) },
            RestorePorts = c.RestorePorts.Select(r => r with { MountDirectory = Abs(r.MountDirectory) }).ToArray(),
            RestoreDestinations = c.RestoreDestinations?.Select(d => d is null || d.Contains('\0') ? d! : Abs(d)).ToArray()!,
            Arrays = c.Arrays.ToDictionary(kv => kv.Key,
                kv => kv.Value with { Token = ReadToken(kv.Value.Token, kv.Value.TokenFile, $"arrays.{kv.Key}", baseDir, problems) }),
        };
    }

    private static string? ReadToken(string? token, string? tokenFile, string where, string baseDir, List<string> problems)
    {
        if (!string.IsNullOrEmpty(token) && !string.IsNullOrEmpty(tokenFile))
        {
            problems.Add($"{where}: give either token or tokenFile, not both");
            return token;
        }
        if (string.IsNullOrEmpty(tokenFile)) return token;
        string path = Path.GetFullPath(tokenFile, baseDir);
        try
        {
            string t = File.ReadAllText(path).Trim();
            if (t.Length == 0) problems.Add($"{where}.tokenFile {path} is empty");
            return t;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{where}.tokenFile {path} cannot be read: {ex.Message}");
            return null;
        }
    }
}
