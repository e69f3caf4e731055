using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Snapcat.Core.VolumeInformation;

namespace Snapcat.Tape.Backup;

/// <summary>
/// The management information, first file of every backup on tape (docs/tape-format.md): a UTF-8 JSON
/// document with the 512-byte volume information (base64) and the catalog row(s) as the server keeps them
/// (opaque JSON objects here, so the catalog can grow columns without a tape format change).
/// Version 2 adds <see cref="Digest"/>: the content digest root the data must have (issue 13, docs/verify.md); a
/// version 1 record (an older tape) has none and still reads: "no digest", not an error.
/// </summary>
public sealed record TapeManagementRecord
{
    public const string FormatName = "snapcat-tape-management";
    public const int CurrentVersion = 2;
    /// <summary>The oldest version this build reads: version 1 records carry no digest.</summary>
    public const int OldestVersion = 1;
    public const int MaxBytes = 1 << 20;

    public string Format { get; init; } = FormatName;
    public int Version { get; init; } = CurrentVersion;
    public required Guid BackupId { get; init; }
    public required byte[] VolumeInformation { get; init; }
    public IReadOnlyList<JsonObject> CatalogRows { get; init; } = [];
    public DateTimeOffset WrittenUtc { get; init; }

    /// <summary>
    /// The content digest root (<c>sha256:…</c>, Core.Integrity.ContentDigest) the data file must have: the disk
    /// backup's, known before the data is written; null when it was unknown (the trailer then carries the digest the
    /// data was written with) and always null in a version 1 record.
    /// </summary>
    public string? Digest { get; init; }

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
        if (r.Version < OldestVersion || r.Version > CurrentVersion)
            throw new TapeFormatException("tape.management.version", $"management information version {r.Version} is not supported (expected {OldestVersion} to {CurrentVersion})");
        if (r.Digest is not null && (r.Version < 2 || !Snapcat.Core.Integrity.ContentDigest.IsRootText(r.Digest)))
            throw new TapeFormatException("tape.management.digest", $"management information version {r.Version} names digest '{r.Digest}', which is not a sha256: root of a version 2 record");
        if (r.VolumeInformation is null || r.VolumeInformation.Length != VolumeInfoRecord.Size)
            throw new TapeFormatException("tape.management.volume_info", $"volume information must be {VolumeInfoRecord.Size} bytes, found {r.VolumeInformation?.Length ?? 0}");
        if (r.CatalogRows is null)
            throw new TapeFormatException("tape.management.catalog", "catalogRows is missing");
    }
}
