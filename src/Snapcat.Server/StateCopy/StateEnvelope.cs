using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Snapcat.Core.Json;

namespace Snapcat.Server.StateCopy;

/// <summary>
/// The binary envelope around a <see cref="StateDocument"/> (docs/disaster-recovery.md). Little-endian:
/// <code>
///  off len  field
///    0   8  magic "SCSTATE1"
///    8   2  envelope version (1)
///   10   2  flags (bit 0: the payload is gzip-compressed JSON; other bits zero)
///   12   4  zero
///   16   8  generation (i64, the document's)
///   24   8  written, µs since 1970-01-01 UTC (i64, the document's)
///   32   8  payload length (i64)
///   40  32  SHA-256 of bytes 0..39 and the payload
///   72  …   payload
/// </code>
/// The hash covers the header too, so a flipped bit anywhere is found; generation and time are in the header so a reader
/// picks the newest slot from 72 bytes before it reads the payload.
/// </summary>
public static class StateEnvelope
{
    public const int HeaderSize = 72;
    public const ushort Version = 1;
    private const ushort FlagGzip = 1;
    private const int HashedHeader = 40;

    public static ReadOnlySpan<byte> Magic => "SCSTATE1"u8;

    private static readonly JsonSerializerOptions Json = SnapcatJson.Web;

    /// <summary>What a header says, before the payload is read.</summary>
    public sealed record Header(long Generation, DateTimeOffset Written, long PayloadLength)
    {
        public long TotalLength => HeaderSize + PayloadLength;
    }

    public static byte[] Encode(StateDocument doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(doc, Json);
        using var packed = new MemoryStream();
        using (var gz = new GZipStream(packed, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(json);
        byte[] payload = packed.ToArray();
        var bytes = new byte[HeaderSize + payload.Length];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), Version);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(10), FlagGzip);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), doc.Generation);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(24), TimeUs.From(doc.Written));
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(32), payload.Length);
        payload.CopyTo(bytes.AsSpan(HeaderSize));
        Hash(bytes.AsSpan(0, HashedHeader), payload).CopyTo(bytes.AsSpan(HashedHeader));
        return bytes;
    }

    /// <summary>
    /// Reads a header; false with the reason for an empty slot ("empty"), something that is no state copy, a newer envelope
    /// or a length beyond <paramref name="capacity"/>.
    /// </summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> bytes, long capacity, out Header? header, out string? reason)
    {
        header = null;
        if (bytes.Length < HeaderSize) return Fail($"is {bytes.Length} bytes, shorter than the {HeaderSize}-byte header", out reason);
        if (!bytes[..HeaderSize].ContainsAnyExcept((byte)0)) return Fail("is empty (never written)", out reason);
        if (!bytes[..8].SequenceEqual(Magic)) return Fail("holds no Snapcat state copy (foreign or damaged: wrong magic)", out reason);
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
        if (version != Version) return Fail($"has envelope version {version}; this Snapcat reads version {Version} (upgrade Snapcat)", out reason);
        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(bytes[10..]);
        if ((flags & ~FlagGzip) != 0 || BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]) != 0)
            return Fail($"has flags 0x{flags:x4} or reserved bytes this version does not define (damaged)", out reason);
        long generation = BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]);
        long micros = BinaryPrimitives.ReadInt64LittleEndian(bytes[24..]);
        long length = BinaryPrimitives.ReadInt64LittleEndian(bytes[32..]);
        if (generation < 1 || micros < 0 || length < 1 || length > capacity - HeaderSize)
            return Fail($"has a header out of range (generation {generation}, payload {length} bytes; damaged)", out reason);
        header = new Header(generation, TimeUs.To(micros), length);
        reason = null;
        return true;
    }

    /// <summary>Checks the whole envelope (header, SHA-256, JSON) and returns the document, or false with the reason.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out StateDocument? doc, out string? reason)
    {
        doc = null;
        if (!TryReadHeader(bytes, long.MaxValue, out var header, out reason)) return false;
        if (bytes.Length < header!.TotalLength)
            return Fail($"is cut short ({bytes.Length} of {header.TotalLength} bytes)", out reason);
        var payload = bytes.Slice(HeaderSize, checked((int)header.PayloadLength));
        byte[] hash = Hash(bytes[..HashedHeader], payload);
        if (!bytes.Slice(HashedHeader, 32).SequenceEqual(hash))
            return Fail("fails its SHA-256 checksum (damaged)", out reason);
        try
        {
            using var gz = new GZipStream(new MemoryStream(payload.ToArray()), CompressionMode.Decompress);
            doc = JsonSerializer.Deserialize<StateDocument>(gz, Json);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or NotSupportedException)
        {
            return Fail($"has a payload that is not a state document ({e.Message})", out reason);
        }
        if (doc is null || string.IsNullOrEmpty(doc.ServerId)) return Fail("has an empty state document", out reason);
        if (doc.Format > StateDocument.CurrentFormat)
            return Fail($"is document format {doc.Format}; this Snapcat reads format {StateDocument.CurrentFormat} (upgrade Snapcat)", out reason);
        if (doc.Generation != header.Generation)
            return Fail($"says generation {doc.Generation} inside but {header.Generation} in its header (damaged)", out reason);
        return true;
    }

    private static byte[] Hash(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(header);
        sha.AppendData(payload);
        return sha.GetHashAndReset();
    }

    private static bool Fail(string why, out string? reason)
    {
        reason = why;
        return false;
    }
}
