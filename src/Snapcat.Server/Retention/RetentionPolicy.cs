using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Snapcat.Core.Json;

namespace Snapcat.Server.Retention;

/// <summary>
/// Which backups of a definition a prune keeps (docs/retention.md): the options of Proxmox Backup Server's prune, applied
/// in this order by <see cref="PrunePlanner"/>. Null or 0 = the rule is not used. Stored as one JSON column
/// (backup_definition.retention, migration 0006).
/// </summary>
public sealed record RetentionPolicy(
    int? KeepLast = null, int? KeepHourly = null, int? KeepDaily = null, int? KeepWeekly = null, int? KeepMonthly = null, int? KeepYearly = null)
{

    /// <summary>The rules in the order a prune applies them, with their option names.</summary>
    [JsonIgnore]
    public IEnumerable<(PruneRule Rule, int? Count)> Rules =>
    [
        (PruneRule.Last, KeepLast), (PruneRule.Hourly, KeepHourly), (PruneRule.Daily, KeepDaily),
        (PruneRule.Weekly, KeepWeekly), (PruneRule.Monthly, KeepMonthly), (PruneRule.Yearly, KeepYearly),
    ];

    /// <summary>No rule with a count above 0: a prune keeps every backup (as PBS with no keep option).</summary>
    [JsonIgnore]
    public bool KeepsEverything => Rules.All(r => r.Count is null or 0);

    /// <summary>"keep-last 3, keep-daily 7"; "none (every backup is kept)" without rules.</summary>
    public override string ToString() => KeepsEverything
        ? "none (every backup is kept)"
        : string.Join(", ", Rules.Where(r => r.Count is > 0).Select(r => $"{PrunePlanner.OptionName(r.Rule)} {r.Count!.Value.ToString(CultureInfo.InvariantCulture)}"));

    /// <summary>Every problem of these rules for a definition of <paramref name="kind"/>.</summary>
    public IReadOnlyList<string> Problems(BackupKind? kind)
    {
        var p = new List<string>();
        foreach (var (rule, count) in Rules)
            if (count is < 0) p.Add($"{PrunePlanner.OptionName(rule)} must be 0 or more, not {count}");
        // A mirror has one destination volume, overwritten by every run: its catalog only ever lists the newest backup,
        // so the one rule it has is keep-last 1, implied. Anything else would promise backups that cannot exist.
        if (kind == BackupKind.Mirror)
        {
            var wrong = Rules.Where(r => r.Count is > 0 && !(r.Rule == PruneRule.Last && r.Count == 1)).ToArray();
            if (wrong.Length > 0)
                p.Add($"a mirror definition overwrites its one destination volume on every run, so it always keeps exactly the last backup (keep-last 1, implied); " +
                      $"{string.Join(", ", wrong.Select(r => $"{PrunePlanner.OptionName(r.Rule)} {r.Count}"))} makes no sense for it (make a snapshot definition for generations)");
        }
        return p;
    }

    public static string? ToJson(RetentionPolicy? r) => r is null ? null : JsonSerializer.Serialize(r, SnapcatJson.Web);

    public static RetentionPolicy? FromJson(string? json) => string.IsNullOrWhiteSpace(json) ? null : JsonSerializer.Deserialize<RetentionPolicy>(json, SnapcatJson.Web);
}
