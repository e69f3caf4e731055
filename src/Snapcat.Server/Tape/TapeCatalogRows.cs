using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Snapcat.Tape;
using Snapcat.Tape.Backup;
using Snapcat.Tape.Cartridge;

namespace Snapcat.Server.Tape;

/// <summary>
/// Catalog rows inside a tape's management information (docs/tape-format.md, "Catalog rows"):
/// <c>catalogRows[0]</c> is the tape copy's own row as the server recorded it, <c>catalogRows[1]</c> the row
/// of the copy source. Rows are camelCase JSON objects of <see cref="BackupDataRow"/>, volume information in base64.
/// </summary>
public static class TapeCatalogRows
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static JsonObject ToJson(BackupDataRow row) => (JsonObject)JsonSerializer.SerializeToNode(row with { Id = 0 }, Json)!;

    public static BackupDataRow FromJson(JsonObject o)
    {
        try
        {
            return o.Deserialize<BackupDataRow>(Json) ?? throw new JsonException("null row");
        }
        catch (JsonException e)
        {
            throw new TapeFormatException("tape.management.row", $"the catalog row in the management information is not a backup data row: {e.Message}");
        }
    }

    /// <summary>
    /// The row a rebuild records for a backup found at <paramref name="location"/> in library <paramref name="libraryId"/>.
    /// Host, mount point, label, time stamp and backup ID come from the 512-byte volume information (it carries its
    /// own CRC-32C) and must agree with the stored row; the kind comes from the stored row. Device and media ID are
    /// where the backup is now, which may differ from where it was written (a cartridge carried to another library).
    /// </summary>
    public static BackupDataRow RowFor(TapeManagementRecord management, string libraryId, TapeFileLocation location)
    {
        if (!VolumeInfoRecord.TryDecode(management.VolumeInformation, out var info, out string? reason))
            throw new TapeFormatException("tape.management.volume_info", $"the volume information in the management information {reason}");
        if (management.CatalogRows.Count == 0)
            throw new TapeFormatException("tape.management.row", "the management information holds no catalog row");
        var stored = FromJson(management.CatalogRows[0]);
        var mismatches = new List<string>();
        void Check(string what, object a, object b) { if (!Equals(a, b)) mismatches.Add($"{what} '{a}' vs '{b}'"); }
        Check("host", stored.Host, info!.Host);
        Check("mount point", stored.MountPoint, info.MountPoint);
        Check("label", stored.Label, info.Label);
        Check("time stamp", stored.Timestamp.ToUniversalTime(), info.Timestamp.ToUniversalTime());
        Check("backup ID", stored.BackupId, info.BackupId);
        Check("management backup ID", management.BackupId, info.BackupId);
        if (!stored.VolumeInfo.AsSpan().SequenceEqual(management.VolumeInformation))
            mismatches.Add("volume information bytes differ");
        if (mismatches.Count > 0)
            throw new TapeFormatException("tape.management.mismatch",
                $"the catalog row and the volume information in the management information disagree: {string.Join("; ", mismatches)}");
        // The ID and origin survive a rebuild (issues 15.7, 15.2): the number is this tape backup's own only when the
        // record was written for the tape (a tape backup, or a version 2 tape copy); an older tape copy carries its
        // source's record and gets a new ID. Older rows said "rebuild" for origin; a tape holds backups or copies.
        bool ownRecord = info.Kind == Snapcat.Core.VolumeInformation.BackupKind.Tape || info.Origin == Snapcat.Core.VolumeInformation.VolumeInfoOrigin.TapeCopy;
        return stored with
        {
            Id = ownRecord ? (long)info.CatalogNumber : 0,
            DeviceId = libraryId,
            MediaId = TapeMediaId.Format(location),
            Origin = stored.Origin != BackupOrigin.Rebuild ? stored.Origin
                : info.Kind == Snapcat.Core.VolumeInformation.BackupKind.Tape ? BackupOrigin.Backup : BackupOrigin.Copy,
            Definition = stored.Definition ?? (info.DefinitionName.Length == 0 ? null : info.DefinitionName),
            Recorded = default,
        };
    }
}
