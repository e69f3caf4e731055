using Dapper;
using Snapcat.Server.Retention;

namespace Snapcat.Server.Catalog;

/// <summary>The backup definition table (FIG. 5).</summary>
public sealed class BackupDefinitionStore(CatalogDatabase db)
{
    private sealed record Raw(string name, string host, string mount_point, string kind, string device_id, long? destination_volume,
        string? pre_hook, string? post_hook, string label, string? schedule, string time_zone, long? keep_generations,
        string missed_runs, long? last_fire_us, long created_us, long pre_only, long enabled, string? retention);

    private const string Columns = "name, host, mount_point, kind, device_id, destination_volume, pre_hook, post_hook, label, schedule, time_zone, keep_generations, missed_runs, last_fire_us, created_us, pre_only, enabled, retention";
    // keep_generations is INTEGER: Int64 from SQLite but Int32 from PostgreSQL, and Dapper matches Raw's
    // constructor by exact type, so PostgreSQL reads widen it (a CAST in SQLite would turn NULL into a blob).
    private string SelectColumns => db.Dialect == CatalogDialect.Postgres
        ? Columns.Replace("keep_generations", "keep_generations::bigint AS keep_generations", StringComparison.Ordinal)
            .Replace("pre_only", "pre_only::bigint AS pre_only", StringComparison.Ordinal)
            .Replace("enabled", "enabled::bigint AS enabled", StringComparison.Ordinal)
        : Columns;

    public async Task CreateAsync(BackupDefinition d, CancellationToken ct = default)
    {
        d.Validate();
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        if (await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM backup_definition WHERE name = @Name", new { d.Name }).ConfigureAwait(false) > 0)
            Throw.Conflict("definition.exists", $"a backup definition named '{d.Name}' exists already; delete it first or choose another name");
        await c.ExecuteAsync(
            $"INSERT INTO backup_definition ({Columns}) VALUES (@Name, @Host, @MountPoint, @Kind, @DeviceId, @dest, @PreHook, @PostHook, @Label, @Schedule, @TimeZone, @keep, @MissedRuns, @last, @created, @preOnly, @enabled, @retention)",
            Params(d)).ConfigureAwait(false);
    }

    public async Task UpdateAsync(BackupDefinition d, CancellationToken ct = default)
    {
        d.Validate();
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        int n = await c.ExecuteAsync(
            """
            UPDATE backup_definition SET host=@Host, mount_point=@MountPoint, kind=@Kind, device_id=@DeviceId, destination_volume=@dest,
              pre_hook=@PreHook, post_hook=@PostHook, label=@Label, schedule=@Schedule, time_zone=@TimeZone, keep_generations=@keep,
              missed_runs=@MissedRuns, last_fire_us=@last, pre_only=@preOnly, enabled=@enabled, retention=@retention
            WHERE name=@Name
            """, Params(d)).ConfigureAwait(false);
        if (n == 0) Throw.NotFound("definition.not_found", $"no backup definition named '{d.Name}'");
    }

    /// <summary>Records that the scheduled occurrence at <paramref name="fire"/> was handled (run or skipped).</summary>
    public async Task SetLastFireAsync(string name, DateTimeOffset fire, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        await c.ExecuteAsync("UPDATE backup_definition SET last_fire_us = @t WHERE name = @name", new { name, t = TimeUs.From(fire) }).ConfigureAwait(false);
    }

    public async Task<BackupDefinition> GetAsync(string name, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var r = await c.QuerySingleOrDefaultAsync<Raw>($"SELECT {SelectColumns} FROM backup_definition WHERE name = @name", new { name }).ConfigureAwait(false);
        if (r is null) Throw.NotFound("definition.not_found", $"no backup definition named '{name}' (see 'snapcat definition list')");
        return Map(r);
    }

    public async Task<IReadOnlyList<BackupDefinition>> ListAsync(CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        return (await c.QueryAsync<Raw>($"SELECT {SelectColumns} FROM backup_definition ORDER BY name").ConfigureAwait(false)).Select(Map).ToArray();
    }

    public async Task DeleteAsync(string name, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        if (await c.ExecuteAsync("DELETE FROM backup_definition WHERE name = @name", new { name }).ConfigureAwait(false) == 0)
            Throw.NotFound("definition.not_found", $"no backup definition named '{name}'");
    }

    private static object Params(BackupDefinition d) => new
    {
        d.Name, d.Host, d.MountPoint, d.Kind, d.DeviceId, d.PreHook, d.PostHook, d.Label, d.Schedule, d.TimeZone, d.MissedRuns,
        dest = (long?)d.DestinationVolume,
        keep = (long?)d.KeepGenerations,
        preOnly = d.PreOnly ? 1 : 0,
        enabled = d.Enabled ? 1 : 0,
        retention = RetentionPolicy.ToJson(d.Retention),
        last = d.LastFire is { } l ? TimeUs.From(l) : (long?)null,
        created = TimeUs.From(d.Created == default ? DateTimeOffset.UtcNow : d.Created),
    };

    private static BackupDefinition Map(Raw r) => new()
    {
        Name = r.name, Host = r.host, MountPoint = r.mount_point, Kind = r.kind, DeviceId = r.device_id,
        DestinationVolume = r.destination_volume is { } v ? (uint)v : null,
        PreHook = r.pre_hook, PostHook = r.post_hook, Label = r.label, Schedule = r.schedule, TimeZone = r.time_zone,
        KeepGenerations = r.keep_generations is { } k ? (int)k : null, MissedRuns = r.missed_runs,
        LastFire = r.last_fire_us is { } l ? TimeUs.To(l) : null, Created = TimeUs.To(r.created_us), PreOnly = r.pre_only != 0,
        Enabled = r.enabled != 0,
        Retention = RetentionPolicy.FromJson(r.retention),
    };
}
