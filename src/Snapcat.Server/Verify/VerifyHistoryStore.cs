using Dapper;

namespace Snapcat.Server.Verify;

/// <summary>
/// The verify history (migration 0008, table verify_run): one row per verify of a backup, kept when the backup row goes.
/// <see cref="Recorded"/> is raised after each row is committed (the notifier and the /metrics counter listen).
/// </summary>
public sealed class VerifyHistoryStore(CatalogDatabase db)
{
    private sealed class Raw
    {
        public long BackupId { get; set; }
        public long StartedUs { get; set; }
        public long FinishedUs { get; set; }
        public string Outcome { get; set; } = "";
        public string? Root { get; set; }
        public string? ExpectedRoot { get; set; }
        public long Bytes { get; set; }
        public double Seconds { get; set; }
        public string? JobId { get; set; }
        public string? Plan { get; set; }
        public string? Error { get; set; }
    }

    private sealed class StateRaw
    {
        public long BackupId { get; set; }
        public long? CheckedUs { get; set; }
        public long? GoodUs { get; set; }
    }

    private const string Columns = "backup_id AS BackupId, started_us AS StartedUs, finished_us AS FinishedUs, outcome AS Outcome, root AS Root, " +
        "expected_root AS ExpectedRoot, bytes AS Bytes, seconds AS Seconds, job_id AS JobId, plan AS Plan, error AS Error";

    /// <summary>Raised once per recorded verify; handlers must not throw or block.</summary>
    public event Action<VerifyRun>? Recorded;

    public async Task RecordAsync(VerifyRun run, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (!VerifyOutcome.All.Contains(run.Outcome, StringComparer.Ordinal))
            throw new ArgumentException($"'{run.Outcome}' is not a verify outcome", nameof(run));
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        await c.ExecuteAsync(
            """
            INSERT INTO verify_run (backup_id, started_us, finished_us, outcome, root, expected_root, bytes, seconds, job_id, plan, error)
            VALUES (@BackupId, @started, @finished, @Outcome, @Root, @ExpectedRoot, @Bytes, @Seconds, @JobId, @Plan, @Error)
            """,
            new
            {
                run.BackupId, started = TimeUs.From(run.Started), finished = TimeUs.From(run.Finished), run.Outcome, run.Root, run.ExpectedRoot,
                run.Bytes, run.Seconds, run.JobId, run.Plan, run.Error,
            }).ConfigureAwait(false);
        Recorded?.Invoke(run);
    }

    /// <summary>The verifies of one backup, newest first.</summary>
    public async Task<IReadOnlyList<VerifyRun>> ListAsync(long backupId, int limit = 100, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var rows = await c.QueryAsync<Raw>(
            $"SELECT {Columns} FROM verify_run WHERE backup_id = @backupId ORDER BY finished_us DESC, id DESC LIMIT @limit",
            new { backupId, limit = Math.Clamp(limit, 1, 10_000) }).ConfigureAwait(false);
        return rows.Select(ToRun).ToList();
    }

    /// <summary>
    /// Per backup with any verify: when it last reached a verdict (ok, sealed, mismatch) and when it was last found good
    /// (ok, sealed); a backup missing here was never verified.
    /// </summary>
    public async Task<IReadOnlyDictionary<long, (DateTimeOffset? Checked, DateTimeOffset? Good)>> StatesAsync(CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var rows = await c.QueryAsync<StateRaw>(
            """
            SELECT backup_id AS BackupId,
                   MAX(CASE WHEN outcome IN ('ok', 'sealed', 'mismatch') THEN finished_us END) AS CheckedUs,
                   MAX(CASE WHEN outcome IN ('ok', 'sealed') THEN finished_us END) AS GoodUs
            FROM verify_run GROUP BY backup_id
            """).ConfigureAwait(false);
        return rows.ToDictionary(r => r.BackupId,
            r => (r.CheckedUs is { } a ? TimeUs.To(a) : (DateTimeOffset?)null, r.GoodUs is { } b ? TimeUs.To(b) : (DateTimeOffset?)null));
    }

    /// <summary>Backups in the catalog that no verify ever reached a verdict on (/metrics).</summary>
    public async Task<long> CountNeverVerifiedAsync(CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        return await c.ExecuteScalarAsync<long>(
            """
            SELECT COUNT(*) FROM backup_data d
            WHERE NOT EXISTS (SELECT 1 FROM verify_run v WHERE v.backup_id = d.id AND v.outcome IN ('ok', 'sealed', 'mismatch'))
            """).ConfigureAwait(false);
    }

    private static VerifyRun ToRun(Raw r) => new(r.BackupId, TimeUs.To(r.StartedUs), TimeUs.To(r.FinishedUs), r.Outcome, r.Root, r.ExpectedRoot,
        r.Bytes, r.Seconds, r.JobId, r.Error, r.Plan);
}
