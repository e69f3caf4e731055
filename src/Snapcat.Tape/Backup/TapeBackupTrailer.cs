using System.Globalization;
using System.Text.Json;

namespace Snapcat.Tape.Backup;

/// <summary>
/// The third file of a backup on tape, written after the data because the checksum is only known then:
/// data length, block count and CRC-32C (Castagnoli, <see cref="Snapcat.Core.VolumeInformation.Crc32CHash"/>)
/// of the data bytes, as 8 hex digits. Version 2 adds <see cref="Digest"/>, the content digest root of the data as
/// it was written (issue 13); a version 1 trailer (an older tape) has none.
/// </summary>
public sealed record TapeBackupTrailer
{
    public const string FormatName = "snapcat-tape-trailer";

    public string Format { get; init; } = FormatName;
    public const int CurrentVersion = 2;

    public int Version { get; init; } = CurrentVersion;
    public required Guid BackupId { get; init; }
    public required long DataBytes { get; init; }
    public required long DataBlocks { get; init; }
    public required string Crc32C { get; init; }
    /// <summary>The content digest root (<c>sha256:…</c>) of the data bytes; null in a version 1 trailer.</summary>
    public string? Digest { get; init; }

    public static string FormatCrc(uint crc) => crc.ToString("X8", CultureInfo.InvariantCulture);

    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(this, TapeManagementRecord.Json);

    public static TapeBackupTrailer Parse(ReadOnlySpan<byte> utf8)
    {
        TapeBackupTrailer? t;
        try { t = JsonSerializer.Deserialize<TapeBackupTrailer>(utf8, TapeManagementRecord.Json); }
        catch (JsonException e) { throw new TapeFormatException("tape.trailer.json", $"backup trailer is not valid JSON: {e.Message}"); }
        if (t is null || t.Format != FormatName || t.Version is < 1 or > CurrentVersion)
            throw new TapeFormatException("tape.trailer.format", $"backup trailer format '{t?.Format}' version {t?.Version} is not {FormatName} 1 to {CurrentVersion}");
        if (t.Digest is not null && (t.Version < 2 || !Snapcat.Core.Integrity.ContentDigest.IsRootText(t.Digest)))
            throw new TapeFormatException("tape.trailer.digest", $"backup trailer version {t.Version} names digest '{t.Digest}', which is not a sha256: root of a version 2 trailer");
        if (t.Crc32C is not { Length: 8 } || !uint.TryParse(t.Crc32C, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out _))
            throw new TapeFormatException("tape.trailer.crc", $"backup trailer checksum '{t.Crc32C}' is not 8 hex digits");
        return t;
    }
}
