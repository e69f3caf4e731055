using Dapper;

namespace Snapcat.Server.Catalog;

/// <summary>One row of the backup volume table (FIG. 4): a host's mount point, its array, and the volumes it may be copied to.</summary>
public sealed record BackupVolume(string Host, string MountPoint, string DeviceId, IReadOnlyList<uint> CopyTo);

/// <summary>The backup volume table (FIG. 4), filled from the agent's copy-to-volume list (FIG. 8).</summary>
public sealed class BackupVolumeStore(CatalogDatabase db)
{
    /// <summary>Replaces the entry of (host, mount point) with what the agent reported.</summary>
    public async Task SaveAsync(BackupVolume v, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var txLifetime = tx.ConfigureAwait(false);
        var key = new { v.Host, v.MountPoint };
        await c.ExecuteAsync("DELETE FROM backup_volume_target WHERE host=@Host AND mount_point=@MountPoint", key, tx).ConfigureAwait(false);
        await c.ExecuteAsync("DELETE FROM backup_volume WHERE host=@Host AND mount_point=@MountPoint", key, tx).ConfigureAwait(false);
        await c.ExecuteAsync("INSERT INTO backup_volume (host, mount_point, device_id, updated_us) VALUES (@Host, @MountPoint, @DeviceId, @t)",
            new { v.Host, v.MountPoint, v.DeviceId, t = TimeUs.From(DateTimeOffset.UtcNow) }, tx).ConfigureAwait(false);
        foreach (uint n in v.CopyTo.Distinct())
            await c.ExecuteAsync("INSERT INTO backup_volume_target (host, mount_point, volume) VALUES (@Host, @MountPoint, @n)",
                new { v.Host, v.MountPoint, n = (long)n }, tx).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    public async Task<BackupVolume?> GetAsync(string host, string mountPoint, CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        string? device = await c.QuerySingleOrDefaultAsync<string?>(
            "SELECT device_id FROM backup_volume WHERE host=@host AND mount_point=@mountPoint", new { host, mountPoint }).ConfigureAwait(false);
        if (device is null) return null;
        var targets = await c.QueryAsync<long>(
            "SELECT volume FROM backup_volume_target WHERE host=@host AND mount_point=@mountPoint ORDER BY volume", new { host, mountPoint }).ConfigureAwait(false);
        return new BackupVolume(host, mountPoint, device, targets.Select(t => (uint)t).ToArray());
    }

    public async Task<IReadOnlyList<BackupVolume>> ListAsync(CancellationToken ct = default)
    {
        var c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        var heads = await c.QueryAsync<(string host, string mount_point, string device_id)>(
            "SELECT host, mount_point, device_id FROM backup_volume ORDER BY host, mount_point").ConfigureAwait(false);
        var targets = (await c.QueryAsync<(string host, string mount_point, long volume)>(
            "SELECT host, mount_point, volume FROM backup_volume_target ORDER BY volume").ConfigureAwait(false))
            .ToLookup(t => (t.host, t.mount_point), t => (uint)t.volume);
        return heads.Select(h => new BackupVolume(h.host, h.mount_point, h.device_id, targets[(h.host, h.mount_point)].ToArray())).ToArray();
    }
}
