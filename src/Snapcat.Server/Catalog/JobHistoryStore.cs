using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Snapcat.Core.Jobs;

namespace Snapcat.Server.Catalog;

/// <summary>The job table: every finished backup, restore, delete, rebuild and copy, with its log and result.</summary>
public sealed class JobHistoryStore(CatalogDatabase db)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Raw(string id, string kind, string? definition, string description, long state, long created_us,
        long? finished_us, string? error_code, string? error_message, string log, string? result);

    private const string Columns = "id, kind, definition, description, state, created_us, finished_us, error_code, error_message, log, result";
    // state is INTEGER: Int64 from SQLite, Int32 from PostgreSQL; Raw's constructor wants Int64 (see BackupDefinitionStore).
    private string SelectColumns => db.Dialect == CatalogDialect.Postgres
        ? Columns.Replace(" state,", " state::bigint AS state,", StringComparison.Ordinal)
        : Columns;

    public async Task SaveAsync(JobSnapshot job, string? definition, CancellationToken ct = default)
    {
        await using var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await c.ExecuteAsync("DELETE FROM job WHERE id = @Id", new { job.Id }, tx).ConfigureAwait(false);
        await c.ExecuteAsync(
            $"INSERT INTO job ({Columns}) VALUES (@Id, @Kind, @definition, @Description, @state, @created, @finished, @ErrorCode, @ErrorMessage, @log, @result)",
            new
            {
                job.Id, job.Kind, definition, job.Description, job.ErrorCode, job.ErrorMessage,
                state = (int)job.State,
                created = TimeUs.From(job.Created),
                finished = job.Finished is { } f ? TimeUs.From(f) : (long?)null,
                log = JsonSerializer.Serialize(job.Log, Json),
                result = job.Result?.ToJsonString(),
            }, tx).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    public async Task<JobSnapshot?> GetAsync(string id, CancellationToken ct = default)
    {
        await using var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        var r = await c.QuerySingleOrDefaultAsync<Raw>($"SELECT {SelectColumns} FROM job WHERE id = @id", new { id }).ConfigureAwait(false);
        return r is null ? null : Map(r);
    }

    /// <summary>Newest first.</summary>
    public async Task<IReadOnlyList<JobSnapshot>> ListAsync(int limit = 100, CancellationToken ct = default)
    {
        await using var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        var rows = await c.QueryAsync<Raw>($"SELECT {SelectColumns} FROM job ORDER BY created_us DESC LIMIT @limit",
            new { limit = Math.Clamp(limit, 1, 10_000) }).ConfigureAwait(false);
        return rows.Select(Map).ToArray();
    }

    private static JobSnapshot Map(Raw r) => new(
        r.id, r.kind, r.description, (JobState)r.state, 0, 0, TimeUs.To(r.created_us),
        r.finished_us is { } f ? TimeUs.To(f) : null, r.error_code, r.error_message,
        JsonSerializer.Deserialize<JobLogEntry[]>(r.log, Json) ?? [],
        r.result is null ? null : JsonNode.Parse(r.result));
}
