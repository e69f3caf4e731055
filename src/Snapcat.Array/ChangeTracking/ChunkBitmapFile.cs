using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Snapcat.Core.VolumeInformation;

namespace Snapcat.Array.ChangeTracking;

/// <summary>
/// Durable home of a <see cref="ChunkBitmap"/>. The bitmap lives in memory while the array runs (no
/// I/O on the write path); on disk it is only trusted if it was saved by a clean shutdown.
///
/// Layout (big-endian), file <c>NAME.bitmap</c>:
/// <code>
///  0  u32  magic 'SCBM'
///  4  u16  version (1)
///  6  u16  flags   bit 0 = CLEAN (written by Save at clean shutdown / after a copy)
///  8  u64  volume size in bytes
/// 16  u32  chunk size
/// 20  u32  reserved (0)
/// 24  u64  generation (incremented by every save)
/// 32  u32  CRC-32C of the bitmap words
/// 36  u32  CRC-32C of bytes 0..36
/// 40  ..   bitmap words, u64 little-endian (bit c of word c/64 = chunk c changed)
/// </code>
/// Trust protocol: <see cref="OpenForTracking"/> reads the file and, before returning, durably
/// rewrites it with CLEAN cleared. Any crash from then on leaves a file that says "not clean", so the
/// next start reports the tracking untrusted and the next copy is full. <see cref="Save"/> with
/// clean=true (at shutdown) is the only way back to trusted. Every write is temp file + fsync +
/// rename + directory fsync, so a torn save leaves the previous (unclean) file.
/// </summary>
public static class ChunkBitmapFile
{
    private const uint Magic = 0x5343424D;  // 'SCBM'
    private const ushort Version = 1;
    private const ushort FlagClean = 1;
    private const int HeaderSize = 40;

    /// <summary>
    /// Loads the bitmap for tracking. Returns trusted=false (and an all-set bitmap) when the file is
    /// missing, corrupt, of another geometry or not cleanly saved; in every case the file on disk is
    /// marked unclean before this returns.
    /// </summary>
    public static (ChunkBitmap Bitmap, bool Trusted) OpenForTracking(string path, ChunkGeometry geometry)
    {
        var bitmap = new ChunkBitmap(geometry.ChunkCount);
        bool trusted = TryLoad(path, geometry, bitmap, out bool clean, out ulong generation) && clean;
        if (!trusted)
        {
            bitmap = new ChunkBitmap(geometry.ChunkCount);
            bitmap.SetAll();  // every chunk must be copied: we do not know what changed
        }
        Save(path, geometry, bitmap, clean: false, generation + 1);
        return (bitmap, trusted);
    }

    public static void Save(string path, ChunkGeometry geometry, ChunkBitmap bitmap, bool clean, ulong generation)
    {
        var words = new ulong[bitmap.WordCount];
        bitmap.CopyTo(words);
        var body = MemoryMarshal.AsBytes(words.AsSpan());
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("bitmap files are little-endian word arrays");
        var header = new byte[HeaderSize];
        BinaryPrimitives.WriteUInt32BigEndian(header, Magic);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), Version);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), clean ? FlagClean : (ushort)0);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(8), geometry.VolumeSize);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(16), geometry.ChunkSize);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(24), generation);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(32), Crc32CHash.Compute(body));
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(36), Crc32CHash.Compute(header.AsSpan(0, 36)));
        DurableFile.WriteAtomic(path, header, body);
    }

    /// <summary>Reads the file; false when missing, corrupt or of another geometry.</summary>
    public static bool TryLoad(string path, ChunkGeometry geometry, ChunkBitmap into, out bool clean, out ulong generation)
    {
        clean = false;
        generation = 0;
        if (!File.Exists(path)) return false;
        byte[] all = File.ReadAllBytes(path);
        if (all.Length < HeaderSize) return false;
        var h = all.AsSpan(0, HeaderSize);
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(h);
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(h[4..]);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(h[6..]);
        long volumeSize = BinaryPrimitives.ReadInt64BigEndian(h[8..]);
        int chunkSize = BinaryPrimitives.ReadInt32BigEndian(h[16..]);
        ulong gen = BinaryPrimitives.ReadUInt64BigEndian(h[24..]);
        uint bodyCrc = BinaryPrimitives.ReadUInt32BigEndian(h[32..]);
        uint headerCrc = BinaryPrimitives.ReadUInt32BigEndian(h[36..]);
        if (magic != Magic || version != Version || headerCrc != Crc32CHash.Compute(h[..36])) return false;
        generation = gen;
        if (volumeSize != geometry.VolumeSize || chunkSize != geometry.ChunkSize) return false;
        var body = all.AsSpan(HeaderSize);
        if (body.Length != into.WordCount * 8 || Crc32CHash.Compute(body) != bodyCrc) return false;
        into.LoadFrom(MemoryMarshal.Cast<byte, ulong>(body));
        clean = (flags & FlagClean) != 0;
        return true;
    }
}
