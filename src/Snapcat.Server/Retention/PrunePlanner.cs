using System.Globalization;

namespace Snapcat.Server.Retention;

/// <summary>One backup as the planner sees it: <see cref="Protected"/> means protected now (an expired date is not).</summary>
public sealed record PruneCandidate(long Id, DateTimeOffset Timestamp, bool Protected);

public enum PruneMark
{
    Keep,
    Remove,
    Protected,
}

/// <summary><see cref="Reason"/>: the rule and period that keep it ("keep-daily 2026-12-05"); null for a removal.</summary>
public sealed record PruneDecision(PruneCandidate Backup, PruneMark Mark, string? Reason);

/// <summary>
/// Which backups a prune keeps, exactly as Proxmox Backup Server's prune decides (its documentation, "Pruning"; the
/// algorithm of its prune.rs, mark_selections): backups newest first; the rules in the order keep-last, -hourly,
/// -daily, -weekly, -monthly, -yearly; each rule walks the backups no earlier rule decided on and keeps the newest of
/// each period, for N periods, skipping periods an earlier rule already keeps a backup of ("the next option does not
/// take care of already covered backups; it will only consider older backups"); a further backup of a period this rule
/// chose is removed. What no rule keeps is removed; a protected backup is never kept by a rule (it counts for no
/// period) and never removed. No rule at all keeps everything.
///
/// Periods are calendar periods of the definition's time zone, named by local wall-clock fields as PBS names them with
/// strftime: hour "%Y-%m-%d %H", day "%Y-%m-%d", ISO 8601 week "%G-W%V" (Monday to Sunday; the first days of January can be
/// week 52/53 of the year before), month, year. So on the night clocks go back the two local 02:00 hours are one hour
/// period, and the 23- and 25-hour days of DST changes are one day each. keep-last counts backups, not periods.
/// </summary>
public static class PrunePlanner
{
    public static string OptionName(PruneRule rule) => rule switch
    {
        PruneRule.Last => "keep-last",
        PruneRule.Hourly => "keep-hourly",
        PruneRule.Daily => "keep-daily",
        PruneRule.Weekly => "keep-weekly",
        PruneRule.Monthly => "keep-monthly",
        _ => "keep-yearly",
    };

    /// <summary>The decision for every backup, newest first.</summary>
    public static IReadOnlyList<PruneDecision> Plan(IEnumerable<PruneCandidate> backups, RetentionPolicy policy, TimeZoneInfo zone)
    {
        var list = backups.OrderByDescending(b => b.Timestamp).ThenByDescending(b => b.Id).ToList();
        if (policy.KeepsEverything)
            return list.Select(b => new PruneDecision(b, b.Protected ? PruneMark.Protected : PruneMark.Keep, b.Protected ? "protected" : "no retention rules")).ToList();

        var marks = new Dictionary<long, (PruneMark Mark, string? Reason)>();
        foreach (var (rule, count) in policy.Rules)
            if (count is { } n && n > 0) Mark(list, marks, rule, n, zone);

        return list.Select(b => b.Protected
            ? new PruneDecision(b, PruneMark.Protected, "protected")
            : marks.TryGetValue(b.Id, out var m) ? new PruneDecision(b, m.Mark, m.Reason) : new PruneDecision(b, PruneMark.Remove, null)).ToList();
    }

    private static void Mark(List<PruneCandidate> list, Dictionary<long, (PruneMark Mark, string? Reason)> marks, PruneRule rule, int keep, TimeZoneInfo zone)
    {
        // Periods an earlier rule already keeps a backup of are covered: this rule looks only at the others.
        var covered = list.Where(b => marks.TryGetValue(b.Id, out var m) && m.Mark == PruneMark.Keep).Select(b => Period(b, rule, zone)).ToHashSet(StringComparer.Ordinal);
        var chosen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in list)
        {
            if (marks.ContainsKey(b.Id)) continue;
            if (b.Protected)
            {
                marks[b.Id] = (PruneMark.Protected, "protected");
                continue;
            }
            string period = Period(b, rule, zone);
            if (covered.Contains(period)) continue;
            if (chosen.Add(period))
            {
                if (chosen.Count > keep) break;
                marks[b.Id] = (PruneMark.Keep, rule == PruneRule.Last
                    ? $"keep-last {chosen.Count.ToString(CultureInfo.InvariantCulture)}/{keep.ToString(CultureInfo.InvariantCulture)}"
                    : $"{OptionName(rule)} {period}");
            }
            else marks[b.Id] = (PruneMark.Remove, null);
        }
    }

    /// <summary>The period of <paramref name="rule"/> a backup falls in, by the local wall clock of <paramref name="zone"/>.</summary>
    public static string Period(PruneCandidate b, PruneRule rule, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(b.Timestamp, zone).DateTime;
        return rule switch
        {
            PruneRule.Last => "#" + b.Id.ToString(CultureInfo.InvariantCulture),
            PruneRule.Hourly => local.ToString("yyyy-MM-dd HH':00'", CultureInfo.InvariantCulture),
            PruneRule.Daily => local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            PruneRule.Weekly => string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(local)}-W{ISOWeek.GetWeekOfYear(local):00}"),
            PruneRule.Monthly => local.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            _ => local.ToString("yyyy", CultureInfo.InvariantCulture),
        };
    }
}
