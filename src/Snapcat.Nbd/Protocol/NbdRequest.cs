using System.Buffers.Binary;

namespace Snapcat.Nbd.Protocol;

/// <summary>
/// A transmission-phase request header (spec §6), compact form:
/// <code>
///  0  u32 magic 0x25609513
///  4  u16 command flags
///  6  u16 command type
///  8  u64 cookie (echoed verbatim)
/// 16  u64 offset
/// 24  u32 length (payload follows only for WRITE)
/// </code>
/// The type stays a raw u16 so that unknown commands can be answered EINVAL instead of failing parsing.
/// </summary>
public readonly record struct NbdRequest(NbdCommandFlags Flags, ushort Type, ulong Cookie, ulong Offset, uint Length)
{
    public const int Size = 28;

    public NbdCommand Command => (NbdCommand)Type;

    /// <summary>Parses a full 28-byte header; a wrong magic is a protocol violation (no way to resync).</summary>
    public static NbdRequest Parse(ReadOnlySpan<byte> b)
    {
        if (b.Length < Size) throw new ArgumentException($"an NBD request header is {Size} bytes", nameof(b));
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(b);
        if (magic != NbdMagic.Request)
            throw new NbdProtocolException($"bad request magic 0x{magic:x8} (expected 0x{NbdMagic.Request:x8})");
        return new NbdRequest(
            (NbdCommandFlags)BinaryPrimitives.ReadUInt16BigEndian(b[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(b[6..]),
            BinaryPrimitives.ReadUInt64BigEndian(b[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(b[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(b[24..]));
    }

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, NbdMagic.Request);
        BinaryPrimitives.WriteUInt16BigEndian(b[4..], (ushort)Flags);
        BinaryPrimitives.WriteUInt16BigEndian(b[6..], Type);
        BinaryPrimitives.WriteUInt64BigEndian(b[8..], Cookie);
        BinaryPrimitives.WriteUInt64BigEndian(b[16..], Offset);
        BinaryPrimitives.WriteUInt32BigEndian(b[24..], Length);
    }
}
