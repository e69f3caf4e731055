using Dapper;

namespace Snapcat.Server.Catalog;

/// <summary>
/// The catalog's counts for <c>/metrics</c> and <c>/healthz</c>: a few GROUP BY queries over the job, definition and
/// backup data tables, the same SQL for SQLite and PostgreSQL. Run when Prometheus scrapes, not on a timer.
/// </summary>
public sealed class CatalogStatistics(CatalogDatabase db)
{
    public sealed record JobCount(long State, string Kind, long Count);

    public sealed record LastSuccess(string Definition, long FinishedUs);

    public sealed record BackupCount(string Kind, long Count);

    /// <summary>Jobs of the job history by state and kind (running jobs have their running row).</summary>
    public async Task<IReadOnlyList<JobCount>> JobsByStateAsync(CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var rows = await c.QueryAsync<JobCount>(new CommandDefinition(
            "SELECT CAST(state AS BIGINT) AS State, kind AS Kind, CAST(COUNT(*) AS BIGINT) AS Count FROM job GROUP BY state, kind",
            cancellationToken: ct)).ConfigureAwait(false);
        return rows.ToList();
    }

    /// <summary>For each existing definition with a succeeded job: when the newest one finished.</summary>
    public async Task<IReadOnlyList<LastSuccess>> LastSuccessesAsync(CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var rows = await c.QueryAsync<LastSuccess>(new CommandDefinition(
            $"""
            SELECT d.name AS Definition, CAST(MAX(j.finished_us) AS BIGINT) AS FinishedUs
            FROM backup_definition d JOIN job j ON j.definition = d.name
            WHERE j.state = {(int)JobState.Succeeded} AND j.finished_us IS NOT NULL
            GROUP BY d.name
            """, cancellationToken: ct)).ConfigureAwait(false);
        return rows.ToList();
    }

    /// <summary>Rows of the backup data table by kind (mirror, snapshot, tape).</summary>
    public async Task<IReadOnlyList<BackupCount>> BackupsByKindAsync(CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var rows = await c.QueryAsync<BackupCount>(new CommandDefinition(
            "SELECT kind AS Kind, CAST(COUNT(*) AS BIGINT) AS Count FROM backup_data GROUP BY kind", cancellationToken: ct)).ConfigureAwait(false);
        return rows.ToList();
    }

    /// <summary>The health probe: one cheap read of a catalog table on a probe connection (throws what the database throws).</summary>
    public async Task<long> CountDefinitionsAsync(CancellationToken ct = default)
    {
        var c = await db.OpenProbeConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM backup_definition", cancellationToken: ct)).ConfigureAwait(false);
    }
}
