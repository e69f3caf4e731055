using Dapper;

namespace Snapcat.Server.Drift;

/// <summary>
/// The findings of the last reconcile (migration 0010, table <c>drift_finding</c>) and when it ran (<c>drift_check</c>).
/// <see cref="ReplaceAsync"/> writes a whole check in one transaction: findings seen again keep their first-seen time,
/// new ones are added, and the ones not seen are deleted — except those of arrays the check could not read, which
/// stay as they were (nothing is known about them now).
/// </summary>
public sealed class DriftStore(CatalogDatabase db)
{
    private sealed record Raw(string id, string kind, string target, string device_id, string? media_id, long? backup,
        string catalog_says, string storage_says, string fix, string fingerprint, long first_seen_us, long last_seen_us);

    public sealed record Stored(DriftFindingDto Finding, string Fingerprint);

    public sealed record Outcome(IReadOnlyList<DriftFindingDto> Findings, IReadOnlyList<string> New, IReadOnlyList<string> Cleared);

    private const string Columns = "id, kind, target, device_id, media_id, backup, catalog_says, storage_says, fix, fingerprint, first_seen_us, last_seen_us";

    public async Task<Outcome> ReplaceAsync(IReadOnlyList<DriftFinding> found, IReadOnlyCollection<string> unreadDevices, DateTimeOffset now, CancellationToken ct = default)
    {
        long nowUs = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var txLifetime = tx.ConfigureAwait(false);
        var before = (await c.QueryAsync<Raw>($"SELECT {Columns} FROM drift_finding", transaction: tx).ConfigureAwait(false))
            .ToDictionary(r => r.id, StringComparer.Ordinal);
        var fresh = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in found)
        {
            if (!seen.Add(f.Id)) continue;
            long first = before.TryGetValue(f.Id, out var old) ? old.first_seen_us : nowUs;
            if (old is null) fresh.Add(f.Id);
            await c.ExecuteAsync("DELETE FROM drift_finding WHERE id = @Id", new { f.Id }, tx).ConfigureAwait(false);
            await c.ExecuteAsync(
                "INSERT INTO drift_finding (" + Columns + ") VALUES (@Id, @Kind, @Target, @DeviceId, @MediaId, @BackupId, @Catalog, @Storage, @Fix, @Fingerprint, @first, @now)",
                new { f.Id, f.Kind, f.Target, f.DeviceId, f.MediaId, f.BackupId, f.Catalog, f.Storage, f.Fix, f.Fingerprint, first, now = nowUs }, tx).ConfigureAwait(false);
        }
        var cleared = new List<string>();
        foreach (var (id, r) in before)
        {
            if (seen.Contains(id) || unreadDevices.Contains(r.device_id)) continue;
            await c.ExecuteAsync("DELETE FROM drift_finding WHERE id = @id", new { id }, tx).ConfigureAwait(false);
            cleared.Add(id);
        }
        await c.ExecuteAsync("DELETE FROM drift_check", transaction: tx).ConfigureAwait(false);
        await c.ExecuteAsync("INSERT INTO drift_check (singleton, checked_us, unreadable) VALUES (1, @nowUs, @u)",
            new { nowUs, u = string.Join(",", unreadDevices.Order(StringComparer.Ordinal)) }, tx).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        var all = await ListAsync(null, ct).ConfigureAwait(false);
        return new Outcome(all, fresh, cleared);
    }

    public async Task<IReadOnlyList<DriftFindingDto>> ListAsync(string? kind = null, CancellationToken ct = default) =>
        (await ListStoredAsync(kind, ct).ConfigureAwait(false)).Select(s => s.Finding).ToList();

    public async Task<IReadOnlyList<Stored>> ListStoredAsync(string? kind = null, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var rows = await c.QueryAsync<Raw>($"SELECT {Columns} FROM drift_finding" + (kind is null ? "" : " WHERE kind = @kind") + " ORDER BY kind, target",
            new { kind }).ConfigureAwait(false);
        return rows.Select(Map).ToList();
    }

    public async Task<Stored?> GetAsync(string id, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var r = await c.QuerySingleOrDefaultAsync<Raw>($"SELECT {Columns} FROM drift_finding WHERE id = @id", new { id }).ConfigureAwait(false);
        return r is null ? null : Map(r);
    }

    /// <summary>A finding that was fixed, or found gone when re-checked.</summary>
    public async Task DeleteAsync(string id, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        await c.ExecuteAsync("DELETE FROM drift_finding WHERE id = @id", new { id }).ConfigureAwait(false);
    }

    public async Task<DriftStatusDto> StatusAsync(CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var byKind = (await c.QueryAsync<(string Kind, long Count)>("SELECT kind, COUNT(*) FROM drift_finding GROUP BY kind").ConfigureAwait(false))
            .ToDictionary(r => r.Kind, r => (int)r.Count, StringComparer.Ordinal);
        long? checkedUs = await c.ExecuteScalarAsync<long?>("SELECT checked_us FROM drift_check WHERE singleton = 1").ConfigureAwait(false);
        return new DriftStatusDto(byKind.Values.Sum(), byKind, checkedUs is { } us ? DateTimeOffset.UnixEpoch.AddTicks(us * 10) : null);
    }

    private static Stored Map(Raw r) => new(new DriftFindingDto(r.id, r.kind, r.target, r.device_id, r.media_id, r.backup,
        r.catalog_says, r.storage_says, r.fix, DateTimeOffset.UnixEpoch.AddTicks(r.first_seen_us * 10), DateTimeOffset.UnixEpoch.AddTicks(r.last_seen_us * 10)), r.fingerprint);
}
