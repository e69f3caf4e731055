using System.Data.Common;
using System.Text;
using Snapcat.Core.Json;
using Dapper;

namespace Snapcat.Server.Catalog;

/// <summary>
/// The backup data table (FIG. 6). A backup is identified by where it is: (device ID, media ID).
/// Backup IDs are never reused (issue 15.7): every ID comes from the one-row <c>backup_number</c> sequence
/// (migration 0003), taken before the array is ordered (<see cref="AllocateIdAsync"/>) and written into the
/// volume information, so a rebuild can give the row its ID back; a restored ID moves the sequence past it.
/// </summary>
public sealed class BackupDataStore(CatalogDatabase db)
{
    private sealed record Raw(long id, string host, string mount_point, string kind, string device_id, string media_id,
        string label, long time_us, string backup_id, byte[] volume_info, string origin, string? definition, long recorded_us,
        long is_protected, long? protected_until_us, string? digest);

    private sealed record Here(byte[] volume_info, string origin, string? definition);
    private sealed record HereAt(string media_id, byte[] volume_info, string origin, string? definition);

    private const string Columns = "id, host, mount_point, kind, device_id, media_id, label, time_us, backup_id, volume_info, origin, definition, recorded_us, is_protected, protected_until_us, digest";

    /// <summary>The most rows one query returns; <see cref="SearchAllAsync"/> pages through more.</summary>
    public const int PageLimit = 10_000;

    public enum UpsertOutcome { Added, Unchanged, Updated }

    /// <summary>Takes the next backup ID; it is never handed out again, whether or not a row ever gets it.</summary>
    public async Task<long> AllocateIdAsync(CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var txLifetime = tx.ConfigureAwait(false);
        long id = await NextIdAsync(c, tx).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return id;
    }

    /// <summary>
    /// Inserts the row, replacing any row at the same (device ID, media ID): that medium now holds this backup.
    /// <see cref="BackupDataRow.Id"/> 0 takes a new ID; a given ID (allocated before the backup was ordered) is
    /// used unless another place's row has it, then a new one is taken. Returns the ID the row got.
    /// </summary>
    public async Task<long> RecordAsync(BackupDataRow row, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var txLifetime = tx.ConfigureAwait(false);
        await c.ExecuteAsync("DELETE FROM backup_data WHERE device_id = @DeviceId AND media_id = @MediaId", new { row.DeviceId, row.MediaId }, tx).ConfigureAwait(false);
        long id = await ChooseIdAsync(c, tx, row.Id).ConfigureAwait(false);
        await InsertAsync(c, tx, row with { Id = id }).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return id;
    }

    /// <summary>
    /// For rebuilds: add the row when (device ID, media ID) is new, leave it when the same backup is
    /// already recorded there, replace it when another backup is. All rows in one transaction.
    /// IDs: first every row whose record carries a catalog number gets it back (unless another row has it);
    /// then the rest get new numbers from the sequence, read once and written back once — so a version 1 row
    /// never takes a number a later record of the same batch claims, and 10,000 rows cost no 10,000 sequence updates.
    /// </summary>
    public async Task<IReadOnlyList<UpsertOutcome>> MergeAsync(IReadOnlyList<BackupDataRow> rows, CancellationToken ct = default)
    {
        var outcomes = new UpsertOutcome[rows.Count];
        var needNumber = new List<int>();
        long highest = 0;
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var txLifetime = tx.ConfigureAwait(false);
        // One SELECT per device of the batch, not one per row: a rebuild of 10,000 volumes reads the catalog's rows of that array once.
        var existing = new Dictionary<(string, string), Here>();
        foreach (string device in rows.Select(r => r.DeviceId).Distinct(StringComparer.Ordinal))
            foreach (var h in await c.QueryAsync<HereAt>("SELECT media_id, volume_info, origin, definition FROM backup_data WHERE device_id = @device",
                new { device }, tx).ConfigureAwait(false))
                existing[(device, h.media_id)] = new Here(h.volume_info, h.origin, h.definition);
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var here = existing.GetValueOrDefault((row.DeviceId, row.MediaId));
            if (here is not null && here.volume_info.AsSpan().SequenceEqual(row.VolumeInfo))
            {
                // Same backup. A row an older Snapcat rebuilt says origin "rebuild" and no definition; it gets what
                // the record (or the volume) says now, keeping its ID, so a rebuilt copy stops counting as a snapshot.
                string origin = OriginName(row.Origin);
                if (here.origin == OriginName(BackupOrigin.Rebuild) && (here.origin != origin || here.definition != row.Definition))
                {
                    await c.ExecuteAsync("UPDATE backup_data SET origin = @origin, definition = @Definition WHERE device_id = @DeviceId AND media_id = @MediaId",
                        new { origin, row.Definition, row.DeviceId, row.MediaId }, tx).ConfigureAwait(false);
                    outcomes[i] = UpsertOutcome.Updated;
                }
                else outcomes[i] = UpsertOutcome.Unchanged;
                continue;
            }
            if (here is not null)
                await c.ExecuteAsync("DELETE FROM backup_data WHERE device_id = @DeviceId AND media_id = @MediaId", new { row.DeviceId, row.MediaId }, tx).ConfigureAwait(false);
            outcomes[i] = here is null ? UpsertOutcome.Added : UpsertOutcome.Updated;
            existing[(row.DeviceId, row.MediaId)] = new Here(row.VolumeInfo, OriginName(row.Origin), row.Definition);   // a place twice in one batch
            // The ID the record carries, when no other row has it; 0 (a version 1 record) or taken: a new one below.
            if (row.Id > 0 && await InsertAsync(c, tx, row, ifIdFree: true).ConfigureAwait(false) == 1)
                highest = Math.Max(highest, row.Id);
            else
                needNumber.Add(i);
        }
        // Every ID in the table is below next_id, and every restored one is at most 'highest'.
        long next = Math.Max(await c.ExecuteScalarAsync<long>("SELECT next_id FROM backup_number WHERE singleton = 1", transaction: tx).ConfigureAwait(false), highest + 1);
        foreach (int i in needNumber)
            await InsertAsync(c, tx, rows[i] with { Id = next++ }).ConfigureAwait(false);
        await c.ExecuteAsync("UPDATE backup_number SET next_id = @next WHERE singleton = 1", new { next }, tx).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return outcomes;
    }

    /// <summary>
    /// Records the content digest root of backup <paramref name="id"/> (<c>sha256:…</c>, see Core.Integrity.ContentDigest),
    /// or clears it with null; returns whether the row exists.
    /// </summary>
    public async Task<bool> SetDigestAsync(long id, string? digest, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        return await c.ExecuteAsync("UPDATE backup_data SET digest = @digest WHERE id = @id", new { id, digest }).ConfigureAwait(false) == 1;
    }

    /// <summary>Removes the rows of a medium that is about to be overwritten or was deleted (FIG. 9, FIG. 14).</summary>
    public async Task<int> DeleteAtAsync(string deviceId, string mediaId, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        return await c.ExecuteAsync("DELETE FROM backup_data WHERE device_id = @deviceId AND media_id = @mediaId", new { deviceId, mediaId }).ConfigureAwait(false);
    }

    public async Task<BackupDataRow?> GetAsync(long id, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var r = await c.QuerySingleOrDefaultAsync<Raw>($"SELECT {Columns} FROM backup_data WHERE id = @id", new { id }).ConfigureAwait(false);
        return r is null ? null : Map(r);
    }

    /// <summary>The row of the backup at (device ID, media ID), if the catalog lists one.</summary>
    public async Task<BackupDataRow?> GetAtAsync(string deviceId, string mediaId, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var r = await c.QuerySingleOrDefaultAsync<Raw>($"SELECT {Columns} FROM backup_data WHERE device_id = @deviceId AND media_id = @mediaId", new { deviceId, mediaId }).ConfigureAwait(false);
        return r is null ? null : Map(r);
    }

    /// <summary>The SELECT of every column with the filter's conditions (each one only when given), for <see cref="SearchAsync"/> and <see cref="SearchPageAsync"/>.</summary>
    private static (StringBuilder Sql, DynamicParameters Parameters) Where(BackupDataFilter f)
    {
        var sql = new StringBuilder($"SELECT {Columns} FROM backup_data WHERE 1=1");
        var p = new DynamicParameters();
        void Add(string column, string name, object? value)
        {
            if (value is null) return;
            sql.Append($" AND {column} @{name}");
            p.Add(name, value);
        }
        Add("host =", "host", f.Host);
        Add("mount_point =", "mount", f.MountPoint);
        Add("label =", "label", f.Label);
        Add("kind =", "kind", f.Kind);
        Add("device_id =", "device", f.DeviceId);
        Add("definition =", "definition", f.Definition);
        Add("origin =", "origin", f.Origin is { } o ? OriginName(o) : null);
        Add("time_us >=", "from", f.From is { } from ? TimeUs.From(from) : null);
        Add("time_us <", "to", f.To is { } to ? TimeUs.From(to) : null);
        return (sql, p);
    }

    /// <summary>Newest first. Uses the (host, mount_point, time_us), (label, time_us) and (time_us) indexes.</summary>
    public async Task<IReadOnlyList<BackupDataRow>> SearchAsync(BackupDataFilter f, CancellationToken ct = default)
    {
        var (sql, p) = Where(f);
        sql.Append(" ORDER BY time_us DESC, id DESC LIMIT @limit OFFSET @offset");
        p.Add("limit", Math.Clamp(f.Limit, 1, PageLimit));
        p.Add("offset", Math.Max(0, f.Offset));
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var rows = await c.QueryAsync<Raw>(sql.ToString(), p).ConfigureAwait(false);
        return rows.Select(Map).ToArray();
    }

    /// <summary>
    /// One page of a search, newest first, by keyset: the rows strictly after <paramref name="after"/> (the
    /// (time_us, id) of the previous page's last row) in the order (time_us DESC, id DESC), never an OFFSET, so
    /// page 10,000 costs what page 1 costs. Each filter has an index that ends in time_us (migrations 0001 and 0011;
    /// SQLite appends the rowid id to every index), so the query walks one index backwards from the cursor and stops
    /// after <paramref name="limit"/> rows. <c>f.Limit</c> and <c>f.Offset</c> are ignored.
    /// </summary>
    public async Task<IReadOnlyList<BackupDataRow>> SearchPageAsync(BackupDataFilter f, (long TimeUs, long Id)? after, int limit, CancellationToken ct = default)
    {
        var (sql, p) = PageQuery(f, after, limit);
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var rows = await c.QueryAsync<Raw>(sql, p).ConfigureAwait(false);
        return rows.Select(Map).ToArray();
    }

    /// <summary>The SQL and parameters <see cref="SearchPageAsync"/> sends (public so a test can ask the database for its plan).</summary>
    public static (string Sql, DynamicParameters Parameters) PageQuery(BackupDataFilter f, (long TimeUs, long Id)? after, int limit)
    {
        var (sql, p) = Where(f);
        if (after is { } a)
        {
            // A row value comparison: both SQLite (3.15+) and PostgreSQL use it as one index range.
            sql.Append(" AND (time_us, id) < (@afterTime, @afterId)");
            p.Add("afterTime", a.TimeUs);
            p.Add("afterId", a.Id);
        }
        sql.Append(" ORDER BY time_us DESC, id DESC LIMIT @limit");
        p.Add("limit", Math.Clamp(limit, 1, PageLimit));
        return (sql.ToString(), p);
    }

    /// <summary>Every row of the backup with record ID <paramref name="backupId"/>: the backup and all its copies (index backup_data_backup_id).</summary>
    public async Task<IReadOnlyList<BackupDataRow>> ListByBackupIdAsync(Guid backupId, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var rows = await c.QueryAsync<Raw>($"SELECT {Columns} FROM backup_data WHERE backup_id = @id ORDER BY recorded_us, id", new { id = backupId.ToString("D") }).ConfigureAwait(false);
        return rows.Select(Map).ToArray();
    }

    /// <summary>
    /// Every row matching <paramref name="f"/> (its limit and offset ignored), newest first, read
    /// <see cref="PageLimit"/> rows at a time: cross-checks and pruning must not stop at one page (issue 9.14).
    /// </summary>
    public async Task<IReadOnlyList<BackupDataRow>> SearchAllAsync(BackupDataFilter f, CancellationToken ct = default)
    {
        var all = new List<BackupDataRow>();
        for (int offset = 0; ; offset += PageLimit)
        {
            var page = await SearchAsync(f with { Limit = PageLimit, Offset = offset }, ct).ConfigureAwait(false);
            all.AddRange(page);
            if (page.Count < PageLimit) return all;
        }
    }

    /// <summary>
    /// Protects a backup from prune and delete (until <paramref name="until"/>, or indefinitely), or lifts that with
    /// <paramref name="protect"/> false. Returns whether the row exists.
    /// </summary>
    public async Task<bool> SetProtectionAsync(long id, bool protect, DateTimeOffset? until, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        return await c.ExecuteAsync("UPDATE backup_data SET is_protected = @p, protected_until_us = @until WHERE id = @id",
            new { id, p = protect ? 1L : 0L, until = protect && until is { } u ? TimeUs.From(u) : (long?)null }).ConfigureAwait(false) == 1;
    }

    public async Task<long> CountAsync(CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        return await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM backup_data").ConfigureAwait(false);
    }

    public static string OriginName(BackupOrigin o) => SnapcatJson.Name(o);

    private static Task<long> NextIdAsync(DbConnection c, DbTransaction tx) =>
        c.ExecuteScalarAsync<long>("UPDATE backup_number SET next_id = next_id + 1 WHERE singleton = 1 RETURNING next_id - 1", transaction: tx);

    /// <summary>
    /// <paramref name="wanted"/> when it is positive and no row has it (restoring a backup's own ID, moving the
    /// sequence past it so it is never handed out again); otherwise a new ID from the sequence.
    /// </summary>
    private static async Task<long> ChooseIdAsync(DbConnection c, DbTransaction tx, long wanted)
    {
        if (wanted > 0 && await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM backup_data WHERE id = @wanted", new { wanted }, tx).ConfigureAwait(false) == 0)
        {
            await c.ExecuteAsync("UPDATE backup_number SET next_id = CASE WHEN next_id > @wanted THEN next_id ELSE @wanted + 1 END WHERE singleton = 1",
                new { wanted }, tx).ConfigureAwait(false);
            return wanted;
        }
        return await NextIdAsync(c, tx).ConfigureAwait(false);
    }

    /// <summary>
    /// Inserts the row with its <see cref="BackupDataRow.Id"/>; returns the rows inserted. <paramref name="ifIdFree"/>:
    /// when another row has that ID, insert nothing and return 0 (the place's own row was deleted before, so only the
    /// ID can conflict).
    /// </summary>
    private static Task<int> InsertAsync(DbConnection c, DbTransaction tx, BackupDataRow row, bool ifIdFree = false) =>
        c.ExecuteAsync(
            """
            INSERT INTO backup_data (id, host, mount_point, kind, device_id, media_id, label, time_us, backup_id, volume_info, origin, definition, recorded_us, digest)
            VALUES (@Id, @Host, @MountPoint, @Kind, @DeviceId, @MediaId, @Label, @time, @backup, @VolumeInfo, @origin, @Definition, @recorded, @Digest)
            """ + (ifIdFree ? " ON CONFLICT (id) DO NOTHING" : ""),
            new
            {
                row.Id, row.Host, row.MountPoint, row.Kind, row.DeviceId, row.MediaId, row.Label, row.VolumeInfo, row.Definition, row.Digest,
                time = TimeUs.From(row.Timestamp),
                backup = row.BackupId.ToString("D"),
                origin = OriginName(row.Origin),
                recorded = TimeUs.From(row.Recorded == default ? DateTimeOffset.UtcNow : row.Recorded),
            }, tx);

    private static BackupDataRow Map(Raw r) => new()
    {
        Id = r.id,
        Host = r.host,
        MountPoint = r.mount_point,
        Kind = r.kind,
        DeviceId = r.device_id,
        MediaId = r.media_id,
        Label = r.label,
        Timestamp = TimeUs.To(r.time_us),
        BackupId = Guid.Parse(r.backup_id),
        VolumeInfo = r.volume_info,
        Origin = Enum.Parse<BackupOrigin>(r.origin, ignoreCase: true),
        Definition = r.definition,
        Recorded = TimeUs.To(r.recorded_us),
        Protected = r.is_protected != 0,
        ProtectedUntil = r.protected_until_us is { } u ? TimeUs.To(u) : null,
        Digest = r.digest,
    };
}
