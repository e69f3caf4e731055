using System.Buffers.Binary;
using Snapcat.Core.VolumeInformation;

namespace Snapcat.Array.Mirror;

/// <summary>
/// What a primary→secondary pair must remember across restarts (<c>mirror.state</c> in the pair's
/// directory). Layout, 48 bytes, big-endian:
/// <code>
///  0  u32  magic 'SCMS'
///  4  u16  version (1)
///  6  u8   status     (MirrorStatus)
///  7  u8   direction  (MirrorDirection of the last/current copy)
///  8  u8   force full (1 = the next copy must copy everything)
///  9  u8×7 reserved, 0
/// 16  i64  last copy start, Unix ms
/// 24  i64  last copy end, Unix ms (0 while running)
/// 32  i64  bytes copied by the last copy
/// 40  u32  reserved, 0
/// 44  u32  CRC-32C of bytes 0..44
/// </code>
/// Replaced whole (temp + fsync + rename + directory fsync). InProgress is written before the first
/// byte reaches the destination; Complete only after the destination was fsynced.
/// </summary>
public readonly record struct MirrorStateRecord(
    MirrorStatus Status, MirrorDirection Direction, bool ForceFull,
    DateTimeOffset? LastStart, DateTimeOffset? LastEnd, long LastBytesCopied)
{
    public const int Size = 48;
    private const uint Magic = 0x53434D53;  // 'SCMS'
    public const string FileName = "mirror.state";

    public static MirrorStateRecord Initial => new(MirrorStatus.Never, MirrorDirection.Copy, true, null, null, 0);

    public void Write(Span<byte> d)
    {
        d[..Size].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(d, Magic);
        BinaryPrimitives.WriteUInt16BigEndian(d[4..], 1);
        d[6] = (byte)Status;
        d[7] = (byte)Direction;
        d[8] = ForceFull ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64BigEndian(d[16..], LastStart?.ToUnixTimeMilliseconds() ?? 0);
        BinaryPrimitives.WriteInt64BigEndian(d[24..], LastEnd?.ToUnixTimeMilliseconds() ?? 0);
        BinaryPrimitives.WriteInt64BigEndian(d[32..], LastBytesCopied);
        BinaryPrimitives.WriteUInt32BigEndian(d[44..], Crc32CHash.Compute(d[..44]));
    }

    public static MirrorStateRecord Read(ReadOnlySpan<byte> s, string path)
    {
        if (s.Length != Size) Corrupt(path, "wrong length");
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(s);
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(s[4..]);
        uint crc = BinaryPrimitives.ReadUInt32BigEndian(s[44..]);
        if (magic != Magic) Corrupt(path, "bad magic");
        if (version != 1) Corrupt(path, $"unknown version {version}");
        if (crc != Crc32CHash.Compute(s[..44])) Corrupt(path, "checksum mismatch");
        byte status = s[6], direction = s[7];
        if (status > (byte)MirrorStatus.Failed || direction > (byte)MirrorDirection.Restore) Corrupt(path, "bad status");
        long start = BinaryPrimitives.ReadInt64BigEndian(s[16..]);
        long end = BinaryPrimitives.ReadInt64BigEndian(s[24..]);
        return new MirrorStateRecord((MirrorStatus)status, (MirrorDirection)direction, s[8] != 0,
            start == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(start),
            end == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(end),
            BinaryPrimitives.ReadInt64BigEndian(s[32..]));
    }

    public static MirrorStateRecord Load(string path)
    {
        if (!File.Exists(path)) return Initial;
        return Read(File.ReadAllBytes(path), path);
    }

    public void Save(string path)
    {
        var b = new byte[Size];
        Write(b);
        DurableFile.WriteAtomic(path, b);
    }

    private static void Corrupt(string path, string why) =>
        Throw.Internal("mirror.state_corrupt", $"the mirror state file {path} is unreadable ({why}); delete it to force a full copy");
}

/// <summary>Persisted in <c>mirror.state</c>: numeric values are part of the format.</summary>
public enum MirrorStatus : byte
{
    Never = 0,
    InProgress = 1,
    Complete = 2,
    Failed = 3,
}

/// <summary>Persisted in <c>mirror.state</c>: numeric values are part of the format.</summary>
public enum MirrorDirection : byte
{
    /// <summary>Primary → secondary.</summary>
    Copy = 0,
    /// <summary>Secondary → primary.</summary>
    Restore = 1,
}
