using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;

namespace Snapcat.Server.Catalog;

/// <summary>
/// The job table: every backup, restore, delete, rebuild and copy, with its log and result. A row is written
/// when the job starts (state running) and again when it ends, so a crash leaves a running row that the
/// next start turns into an interrupted one (<see cref="MarkInterruptedAsync"/>, issue 9.5).
/// </summary>
public sealed class JobHistoryStore(CatalogDatabase db)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Raw(string id, string kind, string? definition, string description, long state, long created_us,
        long? finished_us, string? error_code, string? error_message, string log, string? result, long bytes_done, long bytes_total);

    private sealed record RawPending(string id, string kind, string? definition, string description, long state, long created_us,
        long? finished_us, string? error_code, string? error_message, string log, string? result, long bytes_done, long bytes_total,
        string? agent_host, string? agent_job);

    /// <summary>An interrupted job whose agent part is still to be asked about.</summary>
    public sealed record PendingReconcile(JobSnapshot Job, string? Definition, string? AgentHost, string? AgentJob);

    private const string Columns = "id, kind, definition, description, state, created_us, finished_us, error_code, error_message, log, result, bytes_done, bytes_total";
    // state is INTEGER: Int64 from SQLite, Int32 from PostgreSQL; Raw's constructor wants Int64 (see BackupDefinitionStore).
    private string SelectColumns => db.Dialect == CatalogDialect.Postgres
        ? Columns.Replace(" state,", " state::bigint AS state,", StringComparison.Ordinal)
        : Columns;

    /// <summary>
    /// Inserts or replaces the job's row. An upsert, not delete-and-insert, so the agent columns written by
    /// <see cref="RecordAgentJobAsync"/> survive the final save.
    /// </summary>
    public async Task SaveAsync(JobSnapshot job, string? definition, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        await c.ExecuteAsync(
            $"""
            INSERT INTO job ({Columns}) VALUES (@Id, @Kind, @definition, @Description, @state, @created, @finished, @ErrorCode, @ErrorMessage, @log, @result, @BytesDone, @BytesTotal)
            ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, definition = excluded.definition, description = excluded.description,
              state = excluded.state, created_us = excluded.created_us, finished_us = excluded.finished_us, error_code = excluded.error_code,
              error_message = excluded.error_message, log = excluded.log, result = excluded.result,
              bytes_done = excluded.bytes_done, bytes_total = excluded.bytes_total
            """,
            new
            {
                job.Id, job.Kind, definition, job.Description, job.ErrorCode, job.ErrorMessage, job.BytesDone, job.BytesTotal,
                state = (int)job.State,
                created = TimeUs.From(job.Created),
                finished = job.Finished is { } f ? TimeUs.From(f) : (long?)null,
                log = JsonSerializer.Serialize(job.Log, Json),
                result = job.Result?.ToJsonString(),
            }).ConfigureAwait(false);
    }

    /// <summary>The agent accepted the order as its job <paramref name="agentJob"/>: kept so a restarted server can ask for it.</summary>
    public async Task RecordAgentJobAsync(string id, string agentHost, string agentJob, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        await c.ExecuteAsync("UPDATE job SET agent_host = @agentHost, agent_job = @agentJob WHERE id = @id", new { id, agentHost, agentJob }).ConfigureAwait(false);
    }

    /// <summary>
    /// At start-up: every row still queued or running belongs to a process that is gone. Each becomes
    /// interrupted (with a log line saying so); one with an agent job, and every backup (which may have reached
    /// the agent just before the crash), is left for reconciliation.
    /// </summary>
    public async Task<IReadOnlyList<JobSnapshot>> MarkInterruptedAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var rows = (await c.QueryAsync<Raw>($"SELECT {SelectColumns} FROM job WHERE state IN (0, 1)").ConfigureAwait(false)).ToArray();
        var marked = new List<JobSnapshot>();
        foreach (var r in rows)
        {
            const string message = "the server stopped while this job ran (crash or kill); its own part ended here";
            var log = Log(r.log).Append(new JobLogEntry(now, "error", message)).ToArray();
            await c.ExecuteAsync(
                """
                UPDATE job SET state = @state, finished_us = @finished, error_code = 'job.interrupted', error_message = @message, log = @log,
                  reconcile = CASE WHEN agent_job IS NOT NULL OR kind = 'backup' THEN 'pending' ELSE NULL END
                WHERE id = @id AND state IN (0, 1)
                """,
                new { r.id, state = (int)JobState.Interrupted, finished = TimeUs.From(now), message, log = JsonSerializer.Serialize(log, Json) }).ConfigureAwait(false);
            marked.Add(Map(r with { state = (int)JobState.Interrupted, finished_us = TimeUs.From(now), error_code = "job.interrupted", error_message = message }));
        }
        return marked;
    }

    /// <summary>Interrupted jobs whose agent job has not been asked about yet (also those of an earlier start that crashed meanwhile).</summary>
    public async Task<IReadOnlyList<PendingReconcile>> PendingReconcilesAsync(CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var rows = await c.QueryAsync<RawPending>(
            $"SELECT {SelectColumns}, agent_host, agent_job FROM job WHERE reconcile = 'pending' ORDER BY created_us").ConfigureAwait(false);
        return rows.Select(r => new PendingReconcile(
            Map(new Raw(r.id, r.kind, r.definition, r.description, r.state, r.created_us, r.finished_us, r.error_code, r.error_message, r.log, r.result,
                r.bytes_done, r.bytes_total)),
            r.definition, r.agent_host, r.agent_job)).ToArray();
    }

    /// <summary>Appends the reconciliation's log lines and result; the job stays interrupted (that is what happened to it).</summary>
    public async Task CompleteReconcileAsync(string id, IReadOnlyList<JobLogEntry> lines, JsonNode? result, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var txLifetime = tx.ConfigureAwait(false);
        string? log = await c.QuerySingleOrDefaultAsync<string?>("SELECT log FROM job WHERE id = @id", new { id }, tx).ConfigureAwait(false);
        if (log is null) return;
        await c.ExecuteAsync("UPDATE job SET log = @log, result = @result, reconcile = 'done' WHERE id = @id",
            new { id, log = JsonSerializer.Serialize(Log(log).Concat(lines).ToArray(), Json), result = result?.ToJsonString() }, tx).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    public async Task<JobSnapshot?> GetAsync(string id, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var r = await c.QuerySingleOrDefaultAsync<Raw>($"SELECT {SelectColumns} FROM job WHERE id = @id", new { id }).ConfigureAwait(false);
        return r is null ? null : Map(r);
    }

    /// <summary>Newest first.</summary>
    public async Task<IReadOnlyList<JobSnapshot>> ListAsync(int limit = 100, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var rows = await c.QueryAsync<Raw>($"SELECT {SelectColumns} FROM job ORDER BY created_us DESC LIMIT @limit",
            new { limit = Math.Clamp(limit, 1, 10_000) }).ConfigureAwait(false);
        return rows.Select(Map).ToArray();
    }

    private static JobLogEntry[] Log(string json) => JsonSerializer.Deserialize<JobLogEntry[]>(json, Json) ?? [];

    private static JobSnapshot Map(Raw r)
    {
        var created = TimeUs.To(r.created_us);
        DateTimeOffset? finished = r.finished_us is { } f ? TimeUs.To(f) : null;
        // The average rate over the run, as the live job reported it when it finished.
        double? rate = finished is { } end && end > created && r.bytes_done > 0 ? r.bytes_done / (end - created).TotalSeconds : null;
        return new JobSnapshot(r.id, r.kind, r.description, (JobState)r.state, r.bytes_done, r.bytes_total, created, finished,
            r.error_code, r.error_message, Log(r.log), r.result is null ? null : JsonNode.Parse(r.result))
        { BytesPerSecond = rate };
    }
}
