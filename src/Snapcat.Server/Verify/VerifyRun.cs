namespace Snapcat.Server.Verify;

/// <summary>What a verify of one backup can end as (docs/verify.md); the names travel as they are.</summary>
public static class VerifyOutcome
{
    /// <summary>The data has the digest it should have (the array's, the tape's, the catalog's).</summary>
    public const string Ok = "ok";
    /// <summary>There was nothing to compare with: this verify computed the digest, and the catalog row now has it.</summary>
    public const string Sealed = "sealed";
    /// <summary>The data differs from its digest: the backup is damaged (the job fails with <c>digest.mismatch</c>).</summary>
    public const string Mismatch = "mismatch";
    /// <summary>The data could not be read or compared (array or tape unreachable, volume gone).</summary>
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Ok, Sealed, Mismatch, Failed];

    /// <summary>A verify that looked at the data and reached a verdict (selection: "when was it last verified").</summary>
    public static bool IsVerdict(string outcome) => outcome is Ok or Sealed or Mismatch;

    /// <summary>A verify that found the data good (coverage counts these).</summary>
    public static bool IsGood(string outcome) => outcome is Ok or Sealed;
}

/// <summary>
/// One verify of a backup as the verify history keeps it (migration 0008, table verify_run). <see cref="Error"/> is
/// "code: message" when the verify failed or found a mismatch.
/// </summary>
public sealed record VerifyRun(long BackupId, DateTimeOffset Started, DateTimeOffset Finished, string Outcome, string? Root, string? ExpectedRoot,
    long Bytes, double Seconds, string? JobId, string? Error, string? Plan = null)
{
    public VerifyRunDto ToDto() => new(BackupId, Started, Finished, Outcome, Root, ExpectedRoot, Bytes, JobId, Error, Plan);
}
