namespace Snapcat.Server.Verify;

/// <summary>A backup as a verify plan sees it: its scope class (mirror, snapshot, tape, copy), where it is, and its verify state.</summary>
/// <param name="LastChecked">When a verify last reached a verdict on it (ok, sealed, mismatch); null: never verified.</param>
/// <param name="LastGood">When a verify last found it good (ok, sealed).</param>
public sealed record VerifyCandidate(long BackupId, string Class, string DeviceId, DateTimeOffset? LastChecked, DateTimeOffset? LastGood);

/// <summary>What a run of a plan verifies: the scope, the due backups, those picked for this run and those skipped (over the limit).</summary>
public sealed record VerifySelection(IReadOnlyList<VerifyCandidate> InScope, IReadOnlyList<VerifyCandidate> Due, IReadOnlyList<VerifyCandidate> Picked,
    IReadOnlyList<VerifyCandidate> Skipped, int Limit);

/// <summary>
/// The coverage policy of a verify plan as pure functions (unit-tested without a catalog):
/// <list type="bullet">
/// <item>scope: the backups of the plan's kind class and device (none given: all);</item>
/// <item>due: never verified, or last verified (a verdict: ok, sealed, mismatch) at or before now − window; a verify that
///   failed to read the data does not count, so the backup stays due;</item>
/// <item>order: never verified first (lowest ID first), then the longest ago verified;</item>
/// <item>limit: max-per-run, or share % of the scope rounded up (at least 1), or all that are due;</item>
/// <item>coverage: the share of the scope found good (ok, sealed) within the window.</item>
/// </list>
/// </summary>
public static class VerifyPlanner
{
    /// <summary>The class a plan's <c>--kind</c> names: tape for anything in the tape library, copy for a volume copy, else the row's kind.</summary>
    public static string ClassOf(BackupDataRow row, string? tapeLibraryId)
    {
        ArgumentNullException.ThrowIfNull(row);
        if ((tapeLibraryId is not null && row.DeviceId == tapeLibraryId) || row.Kind == "tape") return "tape";
        if (row.Origin == BackupOrigin.Copy) return "copy";
        return row.Kind;
    }

    public static bool InScope(VerifyCandidate c, VerifyPlan plan)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(plan);
        return (plan.Kind is null || c.Class == plan.Kind) && (plan.DeviceId is null || c.DeviceId == plan.DeviceId);
    }

    public static bool IsDue(VerifyCandidate c, TimeSpan window, DateTimeOffset now) => c.LastChecked is not { } t || t <= now - window;

    /// <summary>How many a run may verify: <paramref name="scope"/> and <paramref name="due"/> are counts.</summary>
    public static int LimitOf(VerifyPlan plan, int scope, int due)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.MaxPerRun is { } max) return max;
        if (plan.SharePercent is { } share) return scope == 0 ? 0 : Math.Max(1, (int)Math.Ceiling(scope * share / 100.0 - 1e-9));
        return due;
    }

    public static VerifySelection Select(IEnumerable<VerifyCandidate> all, VerifyPlan plan, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(all);
        var scope = all.Where(c => InScope(c, plan)).OrderBy(c => c.BackupId).ToList();
        var due = scope.Where(c => IsDue(c, plan.OlderThan, now))
            .OrderBy(c => c.LastChecked is null ? 0 : 1)
            .ThenBy(c => c.LastChecked ?? DateTimeOffset.MinValue)
            .ThenBy(c => c.BackupId)
            .ToList();
        int limit = LimitOf(plan, scope.Count, due.Count);
        return new VerifySelection(scope, due, due.Take(limit).ToList(), due.Skip(limit).ToList(), limit);
    }

    /// <summary>Backups of <paramref name="scope"/> whose last good verify (<paramref name="lastGood"/>, by backup ID) is within the window.</summary>
    public static int Covered(IEnumerable<long> scope, IReadOnlyDictionary<long, DateTimeOffset?> lastGood, TimeSpan window, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(lastGood);
        return scope.Count(id => lastGood.TryGetValue(id, out var t) && t is { } good && good > now - window);
    }

    public static double Percent(int part, int whole) => whole == 0 ? 100.0 : Math.Round(100.0 * part / whole, 1);
}
