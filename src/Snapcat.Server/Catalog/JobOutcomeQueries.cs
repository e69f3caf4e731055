using Dapper;

namespace Snapcat.Server.Catalog;

/// <summary>
/// What <c>GET /v1/status</c> reads from the job table, without logs or results: the newest finished job of each
/// definition, and the jobs that failed or were interrupted since a time.
/// </summary>
public sealed class JobOutcomeQueries(CatalogDatabase db)
{
    private sealed record Raw(string id, string kind, string? definition, string description, long state, long created_us,
        long? finished_us, string? error_code, string? error_message);

    // state is INTEGER: Int64 from SQLite, Int32 from PostgreSQL (see BackupDefinitionStore).
    private string Columns => "id, kind, definition, description, " + (db.Dialect == CatalogDialect.Postgres ? "state::bigint AS state" : "state") +
        ", created_us, finished_us, error_code, error_message";

    /// <summary>Definition name → its newest finished job (any kind the definition started: backups).</summary>
    public async Task<IReadOnlyDictionary<string, JobOutcomeDto>> LastByDefinitionAsync(IEnumerable<string> names, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var found = new Dictionary<string, JobOutcomeDto>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            var r = await c.QueryFirstOrDefaultAsync<Raw>(
                $"SELECT {Columns} FROM job WHERE definition = @name AND finished_us IS NOT NULL ORDER BY finished_us DESC LIMIT 1", new { name }).ConfigureAwait(false);
            if (r is not null) found[name] = Map(r);
        }
        return found;
    }

    /// <summary>Jobs that ended failed or interrupted at or after <paramref name="since"/>, newest first (at most <paramref name="limit"/>).</summary>
    public async Task<IReadOnlyList<JobOutcomeDto>> FailuresSinceAsync(DateTimeOffset since, int limit = 100, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var rows = await c.QueryAsync<Raw>(
            $"SELECT {Columns} FROM job WHERE state IN (@failed, @interrupted) AND finished_us >= @since ORDER BY finished_us DESC LIMIT @limit",
            new { failed = (int)JobState.Failed, interrupted = (int)JobState.Interrupted, since = TimeUs.From(since), limit }).ConfigureAwait(false);
        return rows.Select(Map).ToArray();
    }

    private static JobOutcomeDto Map(Raw r) => new(r.id, r.kind, r.definition, r.description, (JobState)r.state, TimeUs.To(r.created_us),
        r.finished_us is { } f ? TimeUs.To(f) : null, r.error_code, r.error_message);
}
