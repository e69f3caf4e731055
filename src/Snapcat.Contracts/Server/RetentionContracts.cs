namespace Snapcat.Contracts.Server;

// Retention and protection (docs/retention.md), routes of ServerContracts.cs:
//   POST   /v1/prune                  PruneRequest   -> dryRun: 200 PruneReport (nothing deleted); otherwise 202 JobSnapshot, result PruneReport
//   POST   /v1/backups/{id}/protection ProtectRequest -> BackupDto (protected, until the date if given)
//   DELETE /v1/backups/{id}/protection                -> BackupDto (no longer protected)

/// <summary>
/// A definition's retention, with the semantics of Proxmox Backup Server's prune: keep-last counts backups, each
/// other rule keeps the newest backup of each of the last N hours/days/ISO weeks/months/years (in the definition's
/// time zone) not already covered by an earlier rule. Null or 0 = the rule is not used; no rule at all keeps everything.
/// </summary>
public sealed record RetentionDto(
    int? KeepLast = null, int? KeepHourly = null, int? KeepDaily = null, int? KeepWeekly = null, int? KeepMonthly = null, int? KeepYearly = null);

/// <summary>No <see cref="Definition"/>: every definition. <see cref="DryRun"/>: only say what would go.</summary>
public sealed record PruneRequest(string? Definition = null, bool DryRun = false);

public sealed record PruneReport(bool DryRun, IReadOnlyList<PruneDefinitionReport> Definitions);

/// <summary>
/// One definition's plan: every backup it made, newest first, each with its <see cref="PruneItemDto.Action"/>.
/// <see cref="Skipped"/> says why this definition was left alone (no retention, a run going).
/// </summary>
public sealed record PruneDefinitionReport(string Definition, string Kind, string Retention, string TimeZone, IReadOnlyList<PruneItemDto> Backups,
    string? Skipped = null);

/// <summary>
/// <see cref="Action"/>: <c>keep</c> (with the rule that keeps it in <see cref="Reason"/>, e.g. "keep-daily 2026-12-05"),
/// <c>protected</c> (kept whatever the rules say, reason names until when), or <c>remove</c>. <see cref="Deleted"/>: a
/// prune that was no dry run deleted it; <see cref="Error"/>: it should have gone but the delete failed.
/// </summary>
public sealed record PruneItemDto(long Id, DateTimeOffset Timestamp, string DeviceId, string MediaId, string Action, string? Reason,
    bool Deleted = false, string? Error = null);

/// <summary>No <see cref="Until"/>: protected until unprotected.</summary>
public sealed record ProtectRequest(DateTimeOffset? Until = null);
