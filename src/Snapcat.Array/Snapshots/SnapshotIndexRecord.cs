using System.Buffers.Binary;
using Snapcat.Core.VolumeInformation;

namespace Snapcat.Array.Snapshots;

/// <summary>
/// One entry of a snapshot's index file (<c>snap-ID.idx</c>): "this snapshot preserved chunk N".
/// Records are appended, never rewritten. Layout, 24 bytes, big-endian:
/// <code>
///  0  u32  magic 'SCIX'
///  4  u8   kind: 1 = DATA (old bytes at chunk N × chunk size in snap-ID.data)
///                2 = ZERO (the old chunk read as zeroes; nothing stored, the data file keeps a hole)
///  5  u8×3 reserved, 0
///  8  u64  chunk number
/// 16  u32  CRC-32C of the preserved chunk bytes (0 for ZERO)
/// 20  u32  CRC-32C of bytes 0..20
/// </code>
/// The record CRC finds a torn tail (a crash during the append); the data CRC lets recovery and
/// scrubbing prove the bytes the record points at are the ones that were preserved.
/// </summary>
internal readonly record struct SnapshotIndexRecord(ChunkKind Kind, long Chunk, uint DataCrc)
{
    public const int Size = 24;
    private const uint Magic = 0x53434958;  // 'SCIX'

    public void Write(Span<byte> dest)
    {
        dest[..Size].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(dest, Magic);
        dest[4] = (byte)Kind;
        BinaryPrimitives.WriteInt64BigEndian(dest[8..], Chunk);
        BinaryPrimitives.WriteUInt32BigEndian(dest[16..], DataCrc);
        BinaryPrimitives.WriteUInt32BigEndian(dest[20..], Crc32CHash.Compute(dest[..20]));
    }

    /// <summary>False for anything that is not a complete, intact record (torn tail, garbage).</summary>
    public static bool TryRead(ReadOnlySpan<byte> src, out SnapshotIndexRecord record)
    {
        record = default;
        if (src.Length < Size) return false;
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(src);
        byte kind = src[4];
        long chunk = BinaryPrimitives.ReadInt64BigEndian(src[8..]);
        uint dataCrc = BinaryPrimitives.ReadUInt32BigEndian(src[16..]);
        uint crc = BinaryPrimitives.ReadUInt32BigEndian(src[20..]);
        if (magic != Magic || crc != Crc32CHash.Compute(src[..20])) return false;
        if (kind is not ((byte)ChunkKind.Data or (byte)ChunkKind.Zero) || chunk < 0) return false;
        record = new SnapshotIndexRecord((ChunkKind)kind, chunk, dataCrc);
        return true;
    }
}

/// <summary>Persisted in index records: the numeric values are part of the file format.</summary>
public enum ChunkKind : byte
{
    Data = 1,
    Zero = 2,
}
