using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Snapcat.Core.VolumeInformation;

namespace Snapcat.Tape.Backup;

/// <summary>
/// The management information, first file of every backup on tape (docs/tape-format.md): a UTF-8 JSON
/// document with the 512-byte volume information (base64) and the catalog row(s) as the server keeps them
/// (opaque JSON objects here, so the catalog can grow columns without a tape format change).
/// </summary>
public sealed record TapeManagementRecord
{
    public const string FormatName = "snapcat-tape-management";
    public const int CurrentVersion = 1;
    public const int MaxBytes = 1 << 20;

    public string Format { get; init; } = FormatName;
    public int Version { get; init; } = CurrentVersion;
    public required Guid BackupId { get; init; }
    public required byte[] VolumeInformation { get; init; }
    public IReadOnlyList<JsonObject> CatalogRows { get; init; } = [];
    public DateTimeOffset WrittenUtc { get; init; }

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public VolumeInfoRecord DecodeVolumeInformation() => VolumeInfoRecord.Decode(VolumeInformation);

    public byte[] Serialize()
    {
        Validate(this);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(this, Json);
        if (bytes.Length > MaxBytes)
            throw new TapeFormatException("tape.management.size", $"management information of {bytes.Length} bytes exceeds {MaxBytes}");
        return bytes;
    }

    public static TapeManagementRecord Parse(ReadOnlySpan<byte> utf8)
    {
        TapeManagementRecord? record;
        try
        {
            record = JsonSerializer.Deserialize<TapeManagementRecord>(utf8, Json);
        }
        catch (JsonException e)
        {
            throw new TapeFormatException("tape.management.json", $"management information is not valid JSON: {e.Message}");
        }
        if (record is null)
            throw new TapeFormatException("tape.management.json", "management information is empty");
        Validate(record);
        return record;
    }

    private static void Validate(TapeManagementRecord r)
    {
        if (r.Format != FormatName)
            throw new TapeFormatException("tape.management.format", $"management information format is '{r.Format}', expected '{FormatName}'");
        if (r.Version != CurrentVersion)
            throw new TapeFormatException("tape.management.version", $"management information version {r.Version} is not supported (expected {CurrentVersion})");
        if (r.VolumeInformation is null || r.VolumeInformation.Length != VolumeInfoRecord.Size)
            throw new TapeFormatException("tape.management.volume_info", $"volume information must be {VolumeInfoRecord.Size} bytes, found {r.VolumeInformation?.Length ?? 0}");
        if (r.CatalogRows is null)
            throw new TapeFormatException("tape.management.catalog", "catalogRows is missing");
    }
}
