namespace Snapcat.Server.Drift;

/// <summary>
/// server.json's optional <c>drift</c> block (docs/drift.md), e.g. <c>"drift": { "schedule": "0 4 * * *", "timeZone": "UTC" }</c>.
/// <c>schedule</c>: cron (5 fields, or 6 with seconds) of the scheduled reconcile, default daily at 04:00; <c>enabled</c>
/// false: no scheduled reconcile (<c>snapcat drift check</c> still runs one). Unknown keys are errors, as everywhere in the file.
/// </summary>
public sealed record DriftConfig
{
    public string? Schedule { get; init; }
    public string? TimeZone { get; init; }
    public bool? Enabled { get; init; }
}

/// <summary>The <c>drift</c> block checked: the cron expression and zone parsed; <see cref="Enabled"/> false when switched off.</summary>
public sealed record DriftSettings(string Schedule, string TimeZone, bool Enabled)
{
    public const string DefaultSchedule = "0 4 * * *";

    public static readonly DriftSettings Default = new(DefaultSchedule, "UTC", true);

    /// <summary>Reads the block; problems are added to <paramref name="problems"/> (all reported at once).</summary>
    public static DriftSettings Read(DriftConfig? raw, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (raw is null) return Default;
        string schedule = raw.Schedule ?? DefaultSchedule;
        string zone = raw.TimeZone ?? "UTC";
        if (!BackupDefinition.TryCron(schedule, out _, out string? why)) problems.Add($"drift.schedule '{schedule}' is not a valid cron expression: {why}");
        try { TimeZoneInfo.FindSystemTimeZoneById(zone); }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException) { problems.Add($"drift.timeZone '{zone}' is not a time zone (e.g. UTC, Europe/Berlin)"); }
        return new DriftSettings(schedule, zone, raw.Enabled ?? true);
    }
}
