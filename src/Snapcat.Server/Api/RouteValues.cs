using System.Globalization;

namespace Snapcat.Server.Api;

/// <summary>The server's route and query values, checked once for every API that takes them (REST, verify, console): a bad one is a 400 with its code.</summary>
public static class RouteValues
{
    /// <summary>A backup ID from a route: a whole number from 1.</summary>
    public static long BackupId(string text)
    {
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long id) || id <= 0)
            Throw.Invalid("backup.bad_id", $"'{text}' is not a backup ID (a whole number from 1; see 'snapcat backup list')");
        return id;
    }

    /// <summary>An optional time from a query (ISO 8601; no offset means UTC); null when not given.</summary>
    public static DateTimeOffset? Time(string? text, string name)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            Throw.Invalid("backup.bad_time", $"{name} '{text}' is not a time (use ISO 8601, e.g. 2026-11-01 or 2026-11-01T02:00:00Z)");
        return t;
    }
}
