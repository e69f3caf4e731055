namespace Snapcat.Server.Notifications;

/// <summary>The event kinds a webhook or the e-mail target subscribes to (server.json <c>notifications.*.events</c>).</summary>
public static class NotificationKind
{
    /// <summary>A job ended in state failed (a scheduled or hand-started backup, a restore, a copy …).</summary>
    public const string RunFailed = "run_failed";
    /// <summary>The scheduler found occurrences that passed while the server was down or busy.</summary>
    public const string RunMissed = "run_missed";
    /// <summary>The tape library found a cartridge it cannot read, or cut a torn tail off one.</summary>
    public const string CartridgeDamaged = "cartridge_damaged";
    /// <summary>A watched file system is fuller than <c>diskFullPercent</c>; sent at most once an hour per file system and target.</summary>
    public const string DiskNearlyFull = "disk_nearly_full";
    /// <summary>Catalog and arrays or tapes disagree: a drift reconcile found new findings (docs/drift.md).</summary>
    public const string DriftFound = "drift_found";
    /// <summary>A verify found a backup's data differing from its digest (mismatch), or could not read it (failed); docs/verify.md.</summary>
    public const string VerifyFailed = "verify_failed";

    public static readonly IReadOnlyList<string> All = [RunFailed, RunMissed, CartridgeDamaged, DiskNearlyFull, DriftFound, VerifyFailed];

    public static bool IsKnown(string? kind) => kind is not null && All.Contains(kind, StringComparer.Ordinal);
}
