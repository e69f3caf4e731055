using System.Buffers.Binary;
using System.Text;
using Snapcat.Core.Errors;

namespace Snapcat.Core.VolumeInformation;

/// <summary>
/// Snapcat's 512-byte volume information record (the description's FIG. 11), version 2; version 1
/// records still decode. The array stores it opaquely beside a volume; agents build it, servers and tape
/// scans check it. Full rationale in docs/volume-info.md. All integers little-endian; text UTF-8, NUL-padded.
/// Version 2 keeps every offset of version 1 and only fills bytes version 1 required to be zero.
/// <code>
///  off  len  field                 FIG. 11
///    0    8  format ID "SCVOLINF"  501 format ID
///    8    2  format version (2; 1 still read)  501
///   10    2  flags (0)             501
///   12   64  label                 502 label
///   76   64  host                  503 host
///  140  192  mount point           504 mount point
///  332    8  time stamp, µs since 1970-01-01 UTC (i64)   505 time stamp
///  --- 506 reserved region ---
///  340    1  backup kind (BackupKind)
///  341    1  origin (VolumeInfoOrigin)          v2; zero in v1
///  342    2  zero
///  344   32  source device ID (ASCII)
///  376    4  source volume number (u32)
///  380   16  backup ID (random; the same on every copy of one backup)
///  396   64  backup definition name (may be empty)  v2; zero in v1
///  460    8  catalog number (u64, 0 = none)        v2; zero in v1
///  468   40  zero, reserved (a later 32-byte content digest fits here)
///  508    4  CRC-32C (Castagnoli) of bytes 0..507
/// </code>
/// </summary>
public sealed record VolumeInfoRecord
{
    public const int Size = 512;
    public const ushort CurrentVersion = 2;
    public const int LabelMax = 64, HostMax = 64, MountPointMax = 192, DeviceIdMax = 32, DefinitionMax = 64;

    public static ReadOnlySpan<byte> FormatId => "SCVOLINF"u8;

    private const int OffVersion = 8, OffFlags = 10, OffLabel = 12, OffHost = 76, OffMount = 140, OffTime = 332;
    private const int OffKind = 340, OffOrigin = 341, OffDevice = 344, OffSourceVolume = 376, OffBackupId = 380, OffCrc = 508;
    private const int OffDefinition = 396, OffCatalogNumber = 460, OffZeroV2 = 468, OffZeroV1 = 396;

    public required string Label { get; init; }
    public required string Host { get; init; }
    public required string MountPoint { get; init; }

    /// <summary>When the array was ordered to make the backup (UTC, microsecond precision).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    public required BackupKind Kind { get; init; }
    public required string SourceDeviceId { get; init; }
    public required uint SourceVolume { get; init; }
    public required Guid BackupId { get; init; }

    /// <summary>
    /// Who made this backup volume (v2). A version 1 record has none; decoding derives it from the kind
    /// (<see cref="BackupKind.Copy"/> → copy, anything else → backup).
    /// </summary>
    public VolumeInfoOrigin Origin { get; init; } = VolumeInfoOrigin.Backup;

    /// <summary>The backup definition that made the backup (v2); empty when unknown (a version 1 record, a copy made by hand).</summary>
    public string DefinitionName { get; init; } = "";

    /// <summary>
    /// The backup's number in the server's catalog (v2), allocated from a sequence that never reuses a number
    /// before the array is ordered; a rebuild gives the row this number back. 0: none (a version 1 record).
    /// </summary>
    public ulong CatalogNumber { get; init; }

    /// <summary>The format version the record was decoded from (<see cref="CurrentVersion"/> for a new one); encoding always writes the current version.</summary>
    public ushort FormatVersion { get; init; } = CurrentVersion;

    /// <summary>
    /// Checks every field as <see cref="Encode(Span{byte})"/> would, with the same error codes, without keeping the
    /// bytes: flows call it before any hook or array work, so a field that cannot be recorded refuses the order
    /// instead of leaving a snapshot nobody can label (issue 9.6).
    /// </summary>
    public void Validate() => Encode(stackalloc byte[Size]);

    /// <summary>Refuses a text value that could not stand in a field of <paramref name="max"/> bytes (NUL inside, too long); same codes as encoding.</summary>
    public static void CheckText(string value, int max, string name)
    {
        Span<byte> field = stackalloc byte[max];
        WriteText(field, value, name);
    }

    /// <summary>Why <paramref name="value"/> could not stand in a text field of <paramref name="max"/> bytes, or null; for checkers that list every problem.</summary>
    public static string? TextProblem(string? value, int max, string name)
    {
        if (value is null) return $"{name} is missing";
        if (value.Contains('\0')) return $"{name} must not contain NUL characters (the volume information pads text with NUL)";
        int needed = Encoding.UTF8.GetByteCount(value);
        return needed > max ? $"{name} is {needed} bytes in UTF-8; at most {max} fit in the volume information record" : null;
    }

    /// <summary>Encodes into exactly 512 bytes. Throws a <see cref="SnapcatException"/> (Invalid) for a field that does not fit.</summary>
    public void Encode(Span<byte> destination)
    {
        if (destination.Length != Size)
            Throw.Invalid("volume_info.length", $"volume information is exactly {Size} bytes; the buffer has {destination.Length}");
        if (!Enum.IsDefined(Kind))
            Throw.Invalid("volume_info.kind", $"backup kind {(int)Kind} is not known");
        if (!Enum.IsDefined(Origin))
            Throw.Invalid("volume_info.origin", $"backup origin {(int)Origin} is not known");
        long micros = ToMicros(Timestamp);
        destination.Clear();
        FormatId.CopyTo(destination);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[OffVersion..], CurrentVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[OffFlags..], 0);
        WriteText(destination.Slice(OffLabel, LabelMax), Label, "label");
        WriteText(destination.Slice(OffHost, HostMax), Host, "host");
        WriteText(destination.Slice(OffMount, MountPointMax), MountPoint, "mount point");
        BinaryPrimitives.WriteInt64LittleEndian(destination[OffTime..], micros);
        destination[OffKind] = (byte)Kind;
        destination[OffOrigin] = (byte)Origin;
        if (SourceDeviceId.Any(c => c > 0x7e || c < 0x21))
            Throw.Invalid("volume_info.device_id", $"source device ID '{SourceDeviceId}' must be printable ASCII without spaces");
        WriteText(destination.Slice(OffDevice, DeviceIdMax), SourceDeviceId, "source device ID");
        BinaryPrimitives.WriteUInt32LittleEndian(destination[OffSourceVolume..], SourceVolume);
        BackupId.TryWriteBytes(destination.Slice(OffBackupId, 16));
        WriteText(destination.Slice(OffDefinition, DefinitionMax), DefinitionName, "definition name");
        if (CatalogNumber > long.MaxValue)
            Throw.Invalid("volume_info.catalog_number", $"catalog number {CatalogNumber} is out of range");
        BinaryPrimitives.WriteUInt64LittleEndian(destination[OffCatalogNumber..], CatalogNumber);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[OffCrc..], Crc32C(destination[..OffCrc]));
    }

    public byte[] Encode()
    {
        var bytes = new byte[Size];
        Encode(bytes);
        return bytes;
    }

    /// <summary>Decodes and validates; throws <see cref="VolumeInfoFormatException"/> with the reason.</summary>
    public static VolumeInfoRecord Decode(ReadOnlySpan<byte> source)
    {
        if (!TryDecode(source, out var record, out string? reason))
            throw new VolumeInfoFormatException(reason!);
        return record!;
    }

    /// <summary>
    /// Validates everything before building the record: length, format ID, version, checksum, zero
    /// reserved bytes, text encoding and padding, kind. <paramref name="reason"/> says what failed.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, out VolumeInfoRecord? record, out string? reason)
    {
        record = null;
        if (source.Length != Size)
            return Fail($"is {source.Length} bytes long; a record is exactly {Size}", out reason);
        if (!source[..8].SequenceEqual(FormatId))
            return Fail("has an unknown format ID (not a Snapcat volume information record)", out reason);
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(source[OffVersion..]);
        if (version is not (1 or CurrentVersion))
            return Fail($"has format version {version}; this Snapcat reads versions 1 and {CurrentVersion}", out reason);
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(source[OffCrc..]);
        uint computed = Crc32C(source[..OffCrc]);
        if (stored != computed)
            return Fail($"fails its checksum (stored 0x{stored:x8}, computed 0x{computed:x8}): the record is damaged", out reason);
        if (BinaryPrimitives.ReadUInt16LittleEndian(source[OffFlags..]) != 0)
            return Fail($"has flags set that version {version} does not define", out reason);
        // Version 1 required zero where version 2 keeps origin, definition and catalog number: a version 1
        // record with those bytes set is damaged, not a version 2 record.
        bool reservedClean = version == 1
            ? !source.Slice(OffOrigin, 3).ContainsAnyExcept((byte)0) && !source[OffZeroV1..OffCrc].ContainsAnyExcept((byte)0)
            : !source.Slice(OffOrigin + 1, 2).ContainsAnyExcept((byte)0) && !source[OffZeroV2..OffCrc].ContainsAnyExcept((byte)0);
        if (!reservedClean)
            return Fail("has non-zero bytes in its reserved area", out reason);
        if (!TryReadText(source.Slice(OffLabel, LabelMax), out string? label)) return Fail("has a label that is not NUL-padded UTF-8", out reason);
        if (!TryReadText(source.Slice(OffHost, HostMax), out string? host)) return Fail("has a host that is not NUL-padded UTF-8", out reason);
        if (!TryReadText(source.Slice(OffMount, MountPointMax), out string? mount)) return Fail("has a mount point that is not NUL-padded UTF-8", out reason);
        if (!TryReadText(source.Slice(OffDevice, DeviceIdMax), out string? device)) return Fail("has a source device ID that is not NUL-padded text", out reason);
        var kind = (BackupKind)source[OffKind];
        if (!Enum.IsDefined(kind))
            return Fail($"has unknown backup kind {(int)kind}", out reason);
        var origin = kind == BackupKind.Copy ? VolumeInfoOrigin.Copy : VolumeInfoOrigin.Backup;
        string definition = "";
        ulong catalogNumber = 0;
        if (version >= 2)
        {
            origin = (VolumeInfoOrigin)source[OffOrigin];
            if (!Enum.IsDefined(origin))
                return Fail($"has unknown backup origin {(int)origin}", out reason);
            if (!TryReadText(source.Slice(OffDefinition, DefinitionMax), out string? def))
                return Fail("has a definition name that is not NUL-padded UTF-8", out reason);
            definition = def!;
            catalogNumber = BinaryPrimitives.ReadUInt64LittleEndian(source[OffCatalogNumber..]);
            // Catalog IDs are signed 64-bit in SQLite and PostgreSQL.
            if (catalogNumber > long.MaxValue)
                return Fail($"has a catalog number out of range ({catalogNumber})", out reason);
        }
        long micros = BinaryPrimitives.ReadInt64LittleEndian(source[OffTime..]);
        if (micros < 0 || micros > MaxMicros)
            return Fail($"has a time stamp out of range ({micros} µs)", out reason);
        record = new VolumeInfoRecord
        {
            Label = label!,
            Host = host!,
            MountPoint = mount!,
            Timestamp = DateTimeOffset.UnixEpoch.AddTicks(micros * 10),
            Kind = kind,
            SourceDeviceId = device!,
            SourceVolume = BinaryPrimitives.ReadUInt32LittleEndian(source[OffSourceVolume..]),
            BackupId = new Guid(source.Slice(OffBackupId, 16)),
            Origin = origin,
            DefinitionName = definition,
            CatalogNumber = catalogNumber,
            FormatVersion = version,
        };
        reason = null;
        return true;
    }

    /// <summary>Truncates a time stamp to the record's microsecond precision, so round trips compare equal.</summary>
    public static DateTimeOffset TruncateToMicros(DateTimeOffset t) => DateTimeOffset.UnixEpoch.AddTicks(ToMicros(t) * 10);

    // 9999-12-31 in microseconds: DateTimeOffset cannot represent more.
    private static readonly long MaxMicros = (DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static long ToMicros(DateTimeOffset t)
    {
        long ticks = t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        if (ticks < 0)
            Throw.Invalid("volume_info.timestamp", $"time stamp {t:O} is before 1970");
        return ticks / 10;
    }

    private static uint Crc32C(ReadOnlySpan<byte> data) => Crc32CHash.Compute(data);

    private static void WriteText(Span<byte> field, string value, string name)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        if (value.Contains('\0'))
            Throw.Invalid("volume_info.field", $"{name} must not contain NUL characters");
        int needed = Encoding.UTF8.GetByteCount(value);
        if (needed > field.Length)
            Throw.Invalid("volume_info.field_too_long", $"{name} is {needed} bytes in UTF-8; at most {field.Length} fit in the volume information record");
        Encoding.UTF8.GetBytes(value, field);
    }

    private static bool TryReadText(ReadOnlySpan<byte> field, out string? value)
    {
        value = null;
        int end = field.IndexOf((byte)0);
        if (end < 0) end = field.Length;
        else if (field[end..].ContainsAnyExcept((byte)0)) return false;
        try
        {
            value = new UTF8Encoding(false, true).GetString(field[..end]);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static bool Fail(string why, out string reason)
    {
        reason = "volume information " + why;
        return false;
    }
}

/// <summary>A volume information record failed its checks; <see cref="Exception.Message"/> says why.</summary>
public sealed class VolumeInfoFormatException(string reason)
    : SnapcatException(ErrorKind.Invalid, "volume_info.invalid", reason);
