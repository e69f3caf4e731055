using System.Globalization;
using Snapcat.Core.Json;

namespace Snapcat.Server.Flows;

/// <summary>
/// A backup data row (FIG. 6) is made from the volume information record alone, whichever flow found
/// it (backup, rebuild, copy): that is what makes a rebuilt catalog equal to the lost one. Since record
/// version 2 that includes the row's ID (the record's catalog number), its origin and its definition.
/// </summary>
public static class BackupRows
{
    public static BackupDataRow FromRecord(byte[] raw, string deviceId, uint volume, BackupOrigin? origin = null)
    {
        if (!VolumeInfoRecord.TryDecode(raw, out var record, out string? reason))
            Throw.Remote("volume_info.invalid", $"the volume information of volume {volume} on {deviceId} {reason}");
        return FromRecord(record!, raw, deviceId, volume, origin);
    }

    /// <summary><paramref name="origin"/> null: the record's (a copy, volume or tape, is a copy in the catalog).</summary>
    public static BackupDataRow FromRecord(VolumeInfoRecord r, byte[] raw, string deviceId, uint volume, BackupOrigin? origin = null) => new()
    {
        Id = (long)r.CatalogNumber,
        Definition = r.DefinitionName.Length == 0 ? null : r.DefinitionName,
        Host = r.Host,
        MountPoint = r.MountPoint,
        Kind = KindName(r.Kind),
        DeviceId = deviceId,
        MediaId = volume.ToString(CultureInfo.InvariantCulture),
        Label = r.Label,
        Timestamp = r.Timestamp,
        BackupId = r.BackupId,
        VolumeInfo = raw,
        Origin = origin ?? OriginOf(r.Origin),
    };

    public static BackupOrigin OriginOf(VolumeInfoOrigin o) => o == VolumeInfoOrigin.Backup ? BackupOrigin.Backup : BackupOrigin.Copy;

    public static string KindName(BackupKind k) => SnapcatJson.Name(k);

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

    /// <summary>A backup that must be on the configured tape library (restores from tape), or a clear error.</summary>
    public static async Task<BackupDataRow> GetOnTapeAsync(ServerRuntime rt, long id, CancellationToken ct)
    {
        var library = rt.TapeLibraryOrThrow();
        var row = await GetAsync(rt.Data, id, ct).ConfigureAwait(false);
        if (row.DeviceId != library.LibraryId)
            Throw.Invalid("restore.not_on_tape", $"backup {id} is on {row.DeviceId}, not in tape library {library.LibraryId}");
        return row;
    }
}
