using System.Globalization;
using Snapcat.Core.Errors;
using Snapcat.Core.VolumeInformation;
using Snapcat.Server.Catalog;

namespace Snapcat.Server.Flows;

/// <summary>
/// A backup data row (FIG. 6) is made from the volume information record alone, whichever flow found
/// it (backup, rebuild, copy): that is what makes a rebuilt catalog equal to the lost one.
/// </summary>
public static class BackupRows
{
    public static BackupDataRow FromRecord(byte[] raw, string deviceId, uint volume, BackupOrigin origin)
    {
        if (!VolumeInfoRecord.TryDecode(raw, out var record, out string? reason))
            Throw.Remote("volume_info.invalid", $"the volume information of volume {volume} on {deviceId} {reason}");
        return FromRecord(record!, raw, deviceId, volume, origin);
    }

    public static BackupDataRow FromRecord(VolumeInfoRecord r, byte[] raw, string deviceId, uint volume, BackupOrigin origin) => new()
    {
        Host = r.Host,
        MountPoint = r.MountPoint,
        Kind = KindName(r.Kind),
        DeviceId = deviceId,
        MediaId = volume.ToString(CultureInfo.InvariantCulture),
        Label = r.Label,
        Timestamp = r.Timestamp,
        BackupId = r.BackupId,
        VolumeInfo = raw,
        Origin = origin,
    };

    public static string KindName(BackupKind k) => k.ToString().ToLowerInvariant();

    /// <summary>The volume number of a row held on an array (its media ID).</summary>
    public static uint Volume(BackupDataRow row)
    {
        if (!uint.TryParse(row.MediaId, NumberStyles.None, CultureInfo.InvariantCulture, out uint n) || n == 0)
            Throw.Invalid("backup.not_on_array", $"backup {row.Id} is on medium '{row.MediaId}' of {row.DeviceId}, not on an array volume");
        return n;
    }

    public static async Task<BackupDataRow> GetAsync(BackupDataStore store, long id, CancellationToken ct)
    {
        var row = await store.GetAsync(id, ct).ConfigureAwait(false);
        if (row is null) Throw.NotFound("backup.not_found", $"no backup with ID {id} in the catalog (see 'snapcat backup list')");
        return row;
    }
}
