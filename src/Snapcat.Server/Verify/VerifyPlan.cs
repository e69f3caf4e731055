using System.Globalization;
using System.Text.RegularExpressions;

namespace Snapcat.Server.Verify;

/// <summary>
/// A verify plan (docs/verify.md): a cron schedule and a coverage policy — re-verify backups whose last verify is older
/// than <see cref="OlderThan"/>, at most <see cref="MaxPerRun"/> or <see cref="SharePercent"/> % of the scope per run,
/// the scope narrowed by <see cref="Kind"/> and <see cref="DeviceId"/>.
/// </summary>
public sealed partial record VerifyPlan
{
    /// <summary>The scope classes: mirror and snapshot backups on arrays, tape (anything in the tape library), copy (volume copies on arrays).</summary>
    public static readonly IReadOnlyList<string> Kinds = ["mirror", "snapshot", "tape", "copy"];

    public required string Name { get; init; }
    public required string Schedule { get; init; }
    public string TimeZone { get; init; } = "UTC";
    public TimeSpan OlderThan { get; init; } = TimeSpan.FromDays(7);
    public int? MaxPerRun { get; init; }
    public double? SharePercent { get; init; }
    public string? Kind { get; init; }
    public string? DeviceId { get; init; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset? LastFire { get; init; }

    /// <summary>Every problem at once, as a <c>verify_plan.invalid</c> error; <paramref name="minimumInterval"/>: the server's shortest schedule gap.</summary>
    public void Validate(TimeSpan? minimumInterval = null)
    {
        var p = new List<string>();
        if (!NamePattern().IsMatch(Name ?? "")) p.Add($"name '{Name}' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        if (string.IsNullOrWhiteSpace(Schedule)) p.Add("a schedule is required (cron, 5 fields or 6 with seconds)");
        else if (!BackupDefinition.TryCron(Schedule, out _, out string? why)) p.Add($"schedule '{Schedule}' is not a valid cron expression: {why}");
        if (!BackupDefinition.TryZone(TimeZone, out _)) p.Add($"time zone '{TimeZone}' is not known (e.g. UTC, Europe/Berlin)");
        if (OlderThan <= TimeSpan.Zero) p.Add($"older-than must be positive, not {OlderThan}");
        if (MaxPerRun is { } m && m < 1) p.Add($"max-per-run must be at least 1, not {m}");
        if (SharePercent is { } s && (double.IsNaN(s) || s <= 0 || s > 100)) p.Add($"share must be more than 0 % and at most 100 %, not {s.ToString(CultureInfo.InvariantCulture)} %");
        if (MaxPerRun is not null && SharePercent is not null) p.Add("give max-per-run or share, not both");
        if (Kind is not null && !Kinds.Contains(Kind, StringComparer.Ordinal)) p.Add($"kind '{Kind}' is not one of {string.Join(", ", Kinds)}");
        if (DeviceId is { Length: 0 }) p.Add("device must not be empty");
        if (p.Count == 0 && minimumInterval is { } min && ShortestInterval(DateTimeOffset.UtcNow) is { } gap && gap < min)
            p.Add($"schedule '{Schedule}' fires every {gap.TotalSeconds:0} s; this server allows at most one run per {min.TotalSeconds:0} s (scheduling.minimumIntervalSeconds)");
        if (p.Count > 0) Throw.Invalid("verify_plan.invalid", $"verify plan '{Name}' is not valid: " + string.Join("; ", p));
    }

    /// <summary>The next occurrence strictly after <paramref name="after"/>, in the plan's zone.</summary>
    public DateTimeOffset? NextRun(DateTimeOffset after)
    {
        if (!BackupDefinition.TryCron(Schedule, out var cron, out _) || !BackupDefinition.TryZone(TimeZone, out var zone)) return null;
        return cron!.GetNextOccurrence(after, zone!);
    }

    private TimeSpan? ShortestInterval(DateTimeOffset from)
    {
        if (!BackupDefinition.TryCron(Schedule, out var cron, out _) || !BackupDefinition.TryZone(TimeZone, out var zone)) return null;
        TimeSpan? shortest = null;
        DateTimeOffset? previous = null;
        foreach (var t in cron!.GetOccurrences(from, from.AddYears(4), zone!).Take(500))
        {
            if (previous is { } q && (shortest is null || t - q < shortest)) shortest = t - q;
            previous = t;
        }
        return shortest;
    }

    public VerifyPlanDto ToDto(DateTimeOffset now) => new()
    {
        Name = Name, Schedule = Schedule, TimeZone = TimeZone, OlderThanSeconds = (long)OlderThan.TotalSeconds, MaxPerRun = MaxPerRun,
        SharePercent = SharePercent, Kind = Kind, DeviceId = DeviceId, Created = Created, LastRun = LastFire,
        NextRun = NextRun(LastFire is { } l && l > now ? l : now),
    };

    public static VerifyPlan FromDto(VerifyPlanDto d, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (d.OlderThanSeconds <= 0)
            Throw.Invalid("verify_plan.invalid", $"verify plan '{d.Name}' is not valid: older-than must be positive, not {d.OlderThanSeconds} s");
        return new VerifyPlan
        {
            Name = d.Name, Schedule = d.Schedule, TimeZone = string.IsNullOrWhiteSpace(d.TimeZone) ? "UTC" : d.TimeZone,
            OlderThan = TimeSpan.FromSeconds(d.OlderThanSeconds), MaxPerRun = d.MaxPerRun, SharePercent = d.SharePercent,
            Kind = string.IsNullOrWhiteSpace(d.Kind) ? null : d.Kind, DeviceId = string.IsNullOrWhiteSpace(d.DeviceId) ? null : d.DeviceId, Created = now,
        };
    }

    /// <summary>A window as people say it: "7 days", "1 day", "36 hours", "90 s".</summary>
    public static string Describe(TimeSpan window) => window switch
    {
        { TotalDays: >= 1 } when window.TotalDays == Math.Floor(window.TotalDays) => window.TotalDays == 1 ? "1 day" : $"{window.TotalDays:0} days",
        { TotalHours: >= 1 } when window.TotalHours == Math.Floor(window.TotalHours) => window.TotalHours == 1 ? "1 hour" : $"{window.TotalHours:0} hours",
        { TotalMinutes: >= 1 } when window.TotalMinutes == Math.Floor(window.TotalMinutes) => window.TotalMinutes == 1 ? "1 minute" : $"{window.TotalMinutes:0} minutes",
        _ => $"{window.TotalSeconds:0} s",
    };

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();
}
