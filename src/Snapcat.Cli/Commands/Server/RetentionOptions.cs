using System.CommandLine;

namespace Snapcat.Cli.Commands.Server;

/// <summary>
/// The retention options of a definition (docs/retention.md): <c>--keep-last</c>, <c>--keep-hourly</c>, <c>--keep-daily</c>,
/// <c>--keep-weekly</c>, <c>--keep-monthly</c>, <c>--keep-yearly</c>, as Proxmox Backup Server's prune has them.
/// </summary>
public sealed class RetentionOptions
{
    public Option<int?> Last { get; } = Keep("last", "Keep the last N backups");
    public Option<int?> Hourly { get; } = Keep("hourly", "Keep the newest backup of each of the last N hours (not already kept by --keep-last)");
    public Option<int?> Daily { get; } = Keep("daily", "Keep the newest backup of each of the last N days, in the definition's time zone");
    public Option<int?> Weekly { get; } = Keep("weekly", "Keep the newest backup of each of the last N ISO weeks (Monday to Sunday)");
    public Option<int?> Monthly { get; } = Keep("monthly", "Keep the newest backup of each of the last N months");
    public Option<int?> Yearly { get; } = Keep("yearly", "Keep the newest backup of each of the last N years");

    private static Option<int?> Keep(string period, string description) => new($"--keep-{period}") { Description = description };

    public IEnumerable<Option<int?>> All => [Last, Hourly, Daily, Weekly, Monthly, Yearly];

    public void AddTo(Command command)
    {
        foreach (var o in All) command.Options.Add(o);
    }

    /// <summary>The rules given on the command line; null when none was.</summary>
    public RetentionDto? Read(ParseResult r)
    {
        if (All.All(o => r.GetValue(o) is null)) return null;
        return new RetentionDto
        {
            KeepLast = r.GetValue(Last), KeepHourly = r.GetValue(Hourly), KeepDaily = r.GetValue(Daily),
            KeepWeekly = r.GetValue(Weekly), KeepMonthly = r.GetValue(Monthly), KeepYearly = r.GetValue(Yearly),
        };
    }

    /// <summary>"keep-last 3, keep-daily 7", or null without rules.</summary>
    public static string? Describe(RetentionDto? r)
    {
        if (r is null) return null;
        var parts = new (string Name, int? Count)[]
        {
            ("keep-last", r.KeepLast), ("keep-hourly", r.KeepHourly), ("keep-daily", r.KeepDaily),
            ("keep-weekly", r.KeepWeekly), ("keep-monthly", r.KeepMonthly), ("keep-yearly", r.KeepYearly),
        }.Where(p => p.Count is > 0).Select(p => $"{p.Name} {p.Count}").ToArray();
        return parts.Length == 0 ? "none (every backup is kept)" : string.Join(", ", parts);
    }
}
