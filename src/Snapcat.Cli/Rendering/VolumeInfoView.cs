using Snapcat.Core.Json;
using Snapcat.Core.VolumeInformation;

namespace Snapcat.Cli.Rendering;

/// <summary>
/// A volume's information as the CLI shows it: absent, present and valid (decoded fields), or present
/// but failing its checks (the reason). Also the JSON shape of <c>--output json</c>.
/// </summary>
public sealed record VolumeInfoView(
    bool Present,
    bool Valid,
    string? Invalid,
    string? Label,
    string? Host,
    string? MountPoint,
    DateTimeOffset? Timestamp,
    BackupKind? Kind,
    string? SourceDeviceId,
    uint? SourceVolume,
    Guid? BackupId,
    VolumeInfoOrigin? Origin = null,
    string? Definition = null,
    ulong? CatalogNumber = null,
    ushort? FormatVersion = null)
{
    public static readonly VolumeInfoView None = new(false, false, null, null, null, null, null, null, null, null, null);

    public static VolumeInfoView FromBase64(string? base64)
    {
        if (base64 is null) return None;
        try { return FromBytes(Convert.FromBase64String(base64)); }
        catch (FormatException) { return new VolumeInfoView(true, false, "the array sent volume information that is not base64", null, null, null, null, null, null, null, null); }
    }

    public static VolumeInfoView FromBytes(byte[]? bytes)
    {
        if (bytes is null) return None;
        if (!VolumeInfoRecord.TryDecode(bytes, out var r, out string? reason))
            return new VolumeInfoView(true, false, reason, null, null, null, null, null, null, null, null);
        return new VolumeInfoView(true, true, null, r!.Label, r.Host, r.MountPoint, r.Timestamp, r.Kind, r.SourceDeviceId, r.SourceVolume, r.BackupId,
            r.Origin, r.DefinitionName, r.CatalogNumber, r.FormatVersion);
    }

    /// <summary>One line for tables: <c>label  host:/mount  2026-01-02 03:04:05Z  mirror of A/1</c>.</summary>
    public string Summary() => !Present ? "-"
        : !Valid ? "invalid: " + Invalid
        : $"{Label}  {Host}:{MountPoint}  {Timestamp:yyyy-MM-dd HH:mm:ss}Z  {(Kind is { } k ? SnapcatJson.Name(k) : "")} of {SourceDeviceId}/{SourceVolume}";
}
