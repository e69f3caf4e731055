namespace Snapcat.Contracts.Server;

// Verify jobs and verify plans (issue 13, docs/verify.md):
//   POST   /v1/backups/{id}/verify                  -> 202 JobSnapshot   (result: VerifyRunDto; a mismatch fails it, digest.mismatch)
//   POST   /v1/backups/{id}/verifications           -> 202 JobSnapshot   (the same job; the older route of the tape verify)
//   GET    /v1/backups/{id}/verifications           -> VerifyRunDto[]    (the backup's verify history, newest first)
//   GET    /v1/verify-plans                         -> VerifyPlanDto[]
//   POST   /v1/verify-plans        VerifyPlanDto    -> 201 VerifyPlanDto
//   GET    /v1/verify-plans/{name}                  -> VerifyPlanDto
//   DELETE /v1/verify-plans/{name}                  -> 204
//   POST   /v1/verify-plans/{name}/runs             -> 202 JobSnapshot   (result: VerifyPlanReport)
//   GET    /v1/verify-plans/{name}/report           -> VerifyPlanReport  (404 verify_plan.no_report before the first run)

/// <summary>
/// One verify of a backup. <paramref name="Outcome"/>: <c>ok</c> (the data has the digest it should), <c>sealed</c> (nothing
/// to compare with yet: this verify computed the digest and recorded it), <c>mismatch</c> (the data differs from its digest),
/// <c>failed</c> (the data could not be read: <paramref name="Error"/> says why). <paramref name="Root"/>: the digest the data
/// had now; <paramref name="ExpectedRoot"/>: the one it was compared with. <paramref name="Plan"/>: the verify plan whose run
/// made it, null by hand.
/// </summary>
public sealed record VerifyRunDto(long BackupId, DateTimeOffset Started, DateTimeOffset Finished, string Outcome, string? Root,
    string? ExpectedRoot, long Bytes, string? JobId, string? Error, string? Plan = null);

/// <summary>
/// A scheduled verify with a coverage policy: each run verifies the backups in scope (<see cref="Kind"/>: mirror, snapshot,
/// tape or copy; <see cref="DeviceId"/>: one array or the tape library) whose last verify is older than
/// <see cref="OlderThanSeconds"/> (never verified first), at most <see cref="MaxPerRun"/> or <see cref="SharePercent"/> % of
/// the scope per run (neither: all that are due).
/// </summary>
public sealed record VerifyPlanDto
{
    public required string Name { get; init; }
    /// <summary>Cron expression (5 fields, or 6 with seconds).</summary>
    public required string Schedule { get; init; }
    public string TimeZone { get; init; } = "UTC";
    /// <summary>The policy's window: a backup verified more recently is not due (default 7 days).</summary>
    public long OlderThanSeconds { get; init; } = 7 * 24 * 3600;
    public int? MaxPerRun { get; init; }
    public double? SharePercent { get; init; }
    public string? Kind { get; init; }
    public string? DeviceId { get; init; }
    /// <summary>Server-filled: when it was created, its next and last scheduled occurrence.</summary>
    public DateTimeOffset? Created { get; init; }
    public DateTimeOffset? NextRun { get; init; }
    public DateTimeOffset? LastRun { get; init; }
}

/// <summary>What one run of a verify plan did; <see cref="Summary"/> says it in one line.</summary>
/// <param name="InScope">Backups the plan covers (kind and device filters).</param>
/// <param name="Due">Of those, backups never verified or last verified before the window.</param>
/// <param name="CoveredAfter">Backups of the scope verified (ok or sealed) within the window after this run.</param>
/// <param name="Skipped">Backups that were due but over this run's limit, left for the next run.</param>
public sealed record VerifyPlanReport(string Plan, string? JobId, DateTimeOffset Started, DateTimeOffset Finished, long WindowSeconds,
    int InScope, int Due, int Verified, int Ok, int Sealed, int Mismatch, int Failed, int CoveredAfter, double CoveragePercent,
    IReadOnlyList<VerifyPlanItem> Verifications, IReadOnlyList<long> Skipped, string Summary);

public sealed record VerifyPlanItem(long BackupId, string Outcome, string? Root, string? Error);
