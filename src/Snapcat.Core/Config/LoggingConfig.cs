namespace Snapcat.Core.Config;

/// <summary>
/// The <c>logging</c> block every daemon's configuration may carry, e.g. <c>"logging": { "format": "json", "level": "debug" }</c>.
/// <c>format</c>: <c>simple</c> (one line per entry, for a terminal), <c>systemd</c> (syslog priority prefix <c>&lt;N&gt;</c>
/// per line, what journald reads from stderr) or <c>json</c> (one JSON object per line); unset: <c>systemd</c> when the
/// daemon's stderr is the journal (systemd sets JOURNAL_STREAM), otherwise <c>simple</c>. <c>level</c>: the least severe level
/// written (trace, debug, information, warning, error, critical, none); default information. Every format stamps each entry
/// with ISO 8601 UTC date and time.
/// </summary>
public sealed record LoggingConfig
{
    public string? Format { get; init; }
    public string? Level { get; init; }

    public static readonly IReadOnlyList<string> Formats = ["simple", "systemd", "json"];
    public static readonly IReadOnlyList<string> Levels = ["trace", "debug", "information", "warning", "error", "critical", "none"];

    /// <summary>Adds a problem for an unknown format or level (the loaders report every problem of a file at once).</summary>
    public static void Check(LoggingConfig? config, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (config is null) return;
        if (config.Format is { } f && !Formats.Contains(f.ToLowerInvariant()))
            problems.Add($"logging.format '{f}' is not one of {string.Join(", ", Formats)}");
        if (config.Level is { } l && NormalLevel(l) is null)
            problems.Add($"logging.level '{l}' is not one of {string.Join(", ", Levels)}");
    }

    /// <summary>The level's canonical name ("info" and "warn" are taken too); null when unknown.</summary>
    public static string? NormalLevel(string level)
    {
        ArgumentNullException.ThrowIfNull(level);
        string l = level.ToLowerInvariant();
        return l switch
        {
            "info" => "information",
            "warn" => "warning",
            _ => Levels.Contains(l) ? l : null,
        };
    }
}
