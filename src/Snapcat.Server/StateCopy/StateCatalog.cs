using System.Text.Json.Nodes;
using Dapper;

namespace Snapcat.Server.StateCopy;

/// <summary>
/// Reads the server's state out of the catalog into a <see cref="StateDocument"/>, and writes a restored one back. The
/// server's identity and the copy's generation live in the <c>server_state</c> row (migration 0009).
/// </summary>
public sealed class StateCatalog(ServerRuntime rt)
{
    /// <summary>A job result larger than this is left out of its summary (a rebuild report of 10,000 volumes is not a summary).</summary>
    public const int MaxResultChars = 8192;

    private sealed record StateRow(string server_id, long generation, long? written_us, string? restored_from, long? restored_generation, long? restored_us);

    private sealed record JobRaw(string id, string kind, string? definition, string description, long state, long created_us, long? finished_us,
        string? error_code, string? error_message, long bytes_done, long bytes_total, string? result);

    private sealed record PlaceRaw(long id, string device_id, string media_id, string backup_id);

    /// <summary>This server's identity and the last generation it wrote or restored.</summary>
    public sealed record Identity(string ServerId, long Generation, DateTimeOffset? Written, string? RestoredFrom, long? RestoredGeneration, DateTimeOffset? Restored);

    /// <summary>The server's identity; made (a new random ID, generation 0) the first time it is asked.</summary>
    public async Task<Identity> IdentityAsync(CancellationToken ct = default)
    {
        var c = await rt.Catalog.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        await c.ExecuteAsync("INSERT INTO server_state (singleton, server_id, generation) VALUES (1, @id, 0) ON CONFLICT (singleton) DO NOTHING",
            new { id = "server-" + Guid.NewGuid().ToString("N")[..16] }).ConfigureAwait(false);
        var r = await c.QuerySingleAsync<StateRow>(
            "SELECT server_id, generation, written_us, restored_from, restored_generation, restored_us FROM server_state WHERE singleton = 1").ConfigureAwait(false);
        return new Identity(r.server_id, r.generation, r.written_us is { } w ? TimeUs.To(w) : null, r.restored_from, r.restored_generation,
            r.restored_us is { } u ? TimeUs.To(u) : null);
    }

    /// <summary>Takes the next generation (committed before the copy is written, so no two copies ever share one).</summary>
    public async Task<long> NextGenerationAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        await IdentityAsync(ct).ConfigureAwait(false);
        var c = await rt.Catalog.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        return await c.ExecuteScalarAsync<long>("UPDATE server_state SET generation = generation + 1, written_us = @t WHERE singleton = 1 RETURNING generation",
            new { t = TimeUs.From(now) }).ConfigureAwait(false);
    }

    /// <summary>The whole state as of now, with generation <paramref name="generation"/>.</summary>
    public async Task<StateDocument> CollectAsync(long generation, DateTimeOffset now, CancellationToken ct = default)
    {
        var id = await IdentityAsync(ct).ConfigureAwait(false);
        var definitions = await rt.Definitions.ListAsync(ct).ConfigureAwait(false);
        var volumes = await rt.Volumes.ListAsync(ct).ConfigureAwait(false);
        var rows = await rt.Data.SearchAllAsync(new BackupDataFilter(), ct).ConfigureAwait(false);
        var c = await rt.Catalog.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        long next = await c.ExecuteScalarAsync<long>("SELECT next_id FROM backup_number WHERE singleton = 1").ConfigureAwait(false);
        string state = rt.Catalog.Dialect == CatalogDialect.Postgres ? "state::bigint AS state" : "state";
        var jobs = await c.QueryAsync<JobRaw>(
            $"SELECT id, kind, definition, description, {state}, created_us, finished_us, error_code, error_message, bytes_done, bytes_total, result FROM job ORDER BY created_us DESC LIMIT @n",
            new { n = StateDocument.MaxJobs }).ConfigureAwait(false);
        return new StateDocument
        {
            ServerId = id.ServerId,
            Generation = generation,
            Written = now,
            WrittenBy = typeof(StateCatalog).Assembly.GetName().Version?.ToString(),
            Catalog = rt.Catalog.Description,
            NextBackupId = next,
            Definitions = definitions.Select(StateDefinition.From).ToArray(),
            Volumes = volumes.Select(v => new StateVolume(v.Host, v.MountPoint, v.DeviceId, v.CopyTo)).ToArray(),
            Backups = rows.Select(r => new StateBackup(r.DeviceId, r.MediaId, r.BackupId, r.Id, BackupDataStore.OriginName(r.Origin), r.Definition, r.Recorded,
                r.Protected, r.ProtectedUntil, r.Digest)).ToArray(),
            Jobs = jobs.Select(j => new StateJob(j.id, j.kind, j.definition, j.description, (int)j.state, TimeUs.To(j.created_us),
                j.finished_us is { } f ? TimeUs.To(f) : null, j.error_code, j.error_message, j.bytes_done, j.bytes_total,
                j.result is { Length: <= MaxResultChars } res ? JsonNode.Parse(res) : null)).ToArray(),
        };
    }

    /// <summary>What restoring definitions and the backup volume table did: names restored, names kept (the catalog had them).</summary>
    public sealed record ConfigOutcome(IReadOnlyList<string> DefinitionsRestored, IReadOnlyList<string> DefinitionsKept, int VolumesRestored, int VolumesKept);

    /// <summary>
    /// Step one of a restore: definitions and the backup volume table, in one transaction. A definition or volume table entry
    /// the catalog has already is kept as it is (a server that is not empty keeps its own configuration).
    /// </summary>
    public async Task<ConfigOutcome> RestoreConfigurationAsync(StateDocument doc, CancellationToken ct = default)
    {
        var c = await rt.Catalog.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var txLifetime = tx.ConfigureAwait(false);
        var names = (await c.QueryAsync<string>("SELECT name FROM backup_definition", transaction: tx).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        var restored = new List<string>();
        var kept = new List<string>();
        var inserts = new List<object>();
        foreach (var s in doc.Definitions)
        {
            if (!names.Add(s.Name))
            {
                kept.Add(s.Name);
                continue;
            }
            restored.Add(s.Name);
            inserts.Add(new
            {
                s.Name, s.Host, s.MountPoint, s.Kind, s.DeviceId, s.PreHook, s.PostHook, s.Label, s.Schedule, s.TimeZone, s.MissedRuns, s.Retention,
                dest = (long?)s.DestinationVolume,
                keep = (long?)s.KeepGenerations,
                preOnly = s.PreOnly ? 1 : 0,
                enabled = s.Enabled ? 1 : 0,
                last = s.LastFire is { } l ? TimeUs.From(l) : (long?)null,
                created = TimeUs.From(s.Created),
            });
        }
        // Dapper runs the statement once per element, all inside the one transaction (one commit, one fsync).
        await c.ExecuteAsync(
            """
            INSERT INTO backup_definition (name, host, mount_point, kind, device_id, destination_volume, pre_hook, post_hook, label, schedule, time_zone,
              keep_generations, missed_runs, last_fire_us, created_us, pre_only, enabled, retention)
            VALUES (@Name, @Host, @MountPoint, @Kind, @DeviceId, @dest, @PreHook, @PostHook, @Label, @Schedule, @TimeZone, @keep, @MissedRuns, @last,
              @created, @preOnly, @enabled, @Retention)
            """, inserts, tx).ConfigureAwait(false);

        var entries = (await c.QueryAsync<(string host, string mount_point)>("SELECT host, mount_point FROM backup_volume", transaction: tx).ConfigureAwait(false))
            .ToHashSet();
        int volumesRestored = 0, volumesKept = 0;
        long now = TimeUs.From(rt.Time.GetUtcNow());
        foreach (var v in doc.Volumes)
        {
            if (!entries.Add((v.Host, v.MountPoint)))
            {
                volumesKept++;
                continue;
            }
            volumesRestored++;
            await c.ExecuteAsync("INSERT INTO backup_volume (host, mount_point, device_id, updated_us) VALUES (@Host, @MountPoint, @DeviceId, @now)",
                new { v.Host, v.MountPoint, v.DeviceId, now }, tx).ConfigureAwait(false);
            await c.ExecuteAsync("INSERT INTO backup_volume_target (host, mount_point, volume) VALUES (@Host, @MountPoint, @n)",
                v.CopyTo.Distinct().Select(n => new { v.Host, v.MountPoint, n = (long)n }), tx).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return new ConfigOutcome(restored, kept, volumesRestored, volumesKept);
    }

    /// <summary>What applying the backup rows' catalog-only fields did.</summary>
    public sealed record RowsOutcome(int Applied, int AlreadyEqual, int NotOnMedia, int Kept, IReadOnlyList<string> Conflicts);

    /// <summary>
    /// Step two, after the rows were merged from the volume information: each row the copy names gets back what its record
    /// cannot carry. A row whose place now holds another backup (another backup ID) is a conflict: the medium wins. A row
    /// of the copy whose medium was not read (or is gone) is counted, not made up: only media make rows. Only the places in
    /// <paramref name="fresh"/> (rows this rebuild added or replaced) take the copy's fields; a row the catalog had already
    /// keeps its own (it may be newer than the copy).
    /// </summary>
    public async Task<RowsOutcome> ApplyBackupFieldsAsync(StateDocument doc, IReadOnlySet<(string DeviceId, string MediaId)> fresh, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(doc);
        ArgumentNullException.ThrowIfNull(fresh);
        var c = await rt.Catalog.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var txLifetime = tx.ConfigureAwait(false);
        var places = (await c.QueryAsync<PlaceRaw>("SELECT id, device_id, media_id, backup_id FROM backup_data", transaction: tx).ConfigureAwait(false))
            .ToDictionary(p => (p.device_id, p.media_id));
        var ids = places.Values.Select(p => p.id).ToHashSet();
        var rows = (await c.QueryAsync<Raw>(
            "SELECT device_id, media_id, origin, definition, recorded_us, is_protected, protected_until_us, digest FROM backup_data", transaction: tx)
            .ConfigureAwait(false)).ToDictionary(r => (r.device_id, r.media_id));
        int applied = 0, equal = 0, missing = 0, kept = 0;
        var conflicts = new List<string>();
        var updates = new List<object>();
        var renumber = new List<(long From, long To)>();
        foreach (var b in doc.Backups)
        {
            if (!places.TryGetValue((b.DeviceId, b.MediaId), out var here))
            {
                missing++;
                continue;
            }
            if (!Guid.TryParse(here.backup_id, out var id) || id != b.BackupId)
            {
                conflicts.Add($"{b.DeviceId} {b.MediaId}: the copy says backup {b.BackupId}, the medium holds {here.backup_id}; the medium's row is kept");
                continue;
            }
            if (!fresh.Contains((b.DeviceId, b.MediaId)))
            {
                kept++;
                continue;
            }
            var now = rows[(b.DeviceId, b.MediaId)];
            var want = new Raw(b.DeviceId, b.MediaId, b.Origin, b.Definition, TimeUs.From(b.Recorded), b.Protected ? 1 : 0,
                b.ProtectedUntil is { } u ? TimeUs.From(u) : null, b.Digest);
            bool sameId = here.id == b.Id || b.Id <= 0;
            if (want == now && sameId)
            {
                equal++;
                continue;
            }
            applied++;
            if (want != now) updates.Add(want);
            // A version 1 record carries no catalog number, so the merge gave a new one: the copy's comes back when it is free.
            if (!sameId && !ids.Contains(b.Id))
            {
                renumber.Add((here.id, b.Id));
                ids.Remove(here.id);
                ids.Add(b.Id);
            }
        }
        await c.ExecuteAsync(
            """
            UPDATE backup_data SET origin = @origin, definition = @definition, recorded_us = @recorded_us, is_protected = @is_protected,
              protected_until_us = @protected_until_us, digest = @digest
            WHERE device_id = @device_id AND media_id = @media_id
            """, updates, tx).ConfigureAwait(false);
        foreach (var (from, to) in renumber)
            await c.ExecuteAsync("UPDATE backup_data SET id = @to WHERE id = @from", new { from, to }, tx).ConfigureAwait(false);
        // The sequence moves past every number the copy knew, deleted backups' among them: numbers are never reused.
        await c.ExecuteAsync("UPDATE backup_number SET next_id = CASE WHEN next_id > @n THEN next_id ELSE @n END WHERE singleton = 1",
            new { n = Math.Max(doc.NextBackupId, (ids.Count == 0 ? 0 : ids.Max()) + 1) }, tx).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return new RowsOutcome(applied, equal, missing, kept, conflicts);
    }

    private sealed record Raw(string device_id, string media_id, string origin, string? definition, long recorded_us, long is_protected,
        long? protected_until_us, string? digest);

    /// <summary>Step three: job summaries the history lacks (by job ID); returns how many were added. A job the copy saw running is interrupted.</summary>
    public async Task<(int Added, int Kept)> RestoreJobsAsync(StateDocument doc, CancellationToken ct = default)
    {
        var c = await rt.Catalog.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var txLifetime = tx.ConfigureAwait(false);
        var have = (await c.QueryAsync<string>("SELECT id FROM job", transaction: tx).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        var add = doc.Jobs.Where(j => !have.Contains(j.Id)).Select(j =>
        {
            bool final = ((JobState)j.State).IsFinal();
            return new
            {
                j.Id, j.Kind, j.Definition, j.Description, j.BytesDone, j.BytesTotal,
                state = final ? j.State : (int)JobState.Interrupted,
                created = TimeUs.From(j.Created),
                finished = j.Finished is { } f ? TimeUs.From(f) : final ? (long?)null : TimeUs.From(doc.Written),
                code = final ? j.ErrorCode : "job.interrupted",
                message = final ? j.ErrorMessage : "the job was running when the state copy was written; its backup rows come from the media",
                result = j.Result?.ToJsonString(),
            };
        }).ToArray();
        await c.ExecuteAsync(
            """
            INSERT INTO job (id, kind, definition, description, state, created_us, finished_us, error_code, error_message, log, result, bytes_done, bytes_total)
            VALUES (@Id, @Kind, @Definition, @Description, @state, @created, @finished, @code, @message, '[]', @result, @BytesDone, @BytesTotal)
            ON CONFLICT (id) DO NOTHING
            """, add, tx).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return (add.Length, doc.Jobs.Count - add.Length);
    }

    /// <summary>
    /// Last: the server takes the restored copy's identity and moves its generation past the copy's, so its next copy is the
    /// newest and lands in the same catalog volumes.
    /// </summary>
    public async Task AdoptAsync(StateDocument doc, string source, CancellationToken ct = default)
    {
        await IdentityAsync(ct).ConfigureAwait(false);
        var c = await rt.Catalog.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        await c.ExecuteAsync(
            """
            UPDATE server_state SET server_id = @ServerId, generation = CASE WHEN generation > @Generation THEN generation ELSE @Generation END,
              restored_from = @source, restored_generation = @Generation, restored_us = @now WHERE singleton = 1
            """, new { doc.ServerId, doc.Generation, source, now = TimeUs.From(rt.Time.GetUtcNow()) }).ConfigureAwait(false);
    }
}
