using System.Globalization;

namespace Snapcat.Server.Retention;

/// <summary>The one rule of protected backups: neither a prune nor a delete removes one while its protection holds.</summary>
public static class BackupProtection
{
    /// <summary>"until 2027-01-31 00:00:00Z" or "indefinitely (until unprotected)".</summary>
    public static string Until(BackupDataRow row) => row.ProtectedUntil is { } u
        ? "until " + u.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)
        : "indefinitely (until unprotected)";

    /// <summary>
    /// Before a flow overwrites volume <paramref name="volume"/> of <paramref name="deviceId"/> (a mirror run, a copy, a restore
    /// onto a named volume): throws <c>backup.protected</c> when the catalog lists a protected backup there.
    /// </summary>
    public static async Task EnsureNotProtectedAtAsync(ServerRuntime rt, string deviceId, uint volume, CancellationToken ct)
    {
        if (await rt.Data.GetAtAsync(deviceId, volume.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false) is { } there)
            EnsureDeletable(there, rt.Time.GetUtcNow());
    }

    /// <summary>Throws <c>backup.protected</c> (409) when <paramref name="row"/> is protected at <paramref name="now"/>.</summary>
    public static void EnsureDeletable(BackupDataRow row, DateTimeOffset now)
    {
        if (row.IsProtectedAt(now))
            Throw.Conflict("backup.protected",
                $"backup {row.Id} ({row.Host}:{row.MountPoint} '{row.Label}' {row.Timestamp:u}) is protected {Until(row)}; " +
                $"'snapcat backup unprotect {row.Id}' lifts that, then it can be deleted");
    }
}
