using System.Buffers.Binary;
using System.Text;

namespace Snapcat.Nbd.Protocol;

/// <summary>
/// Structured reply chunk header (spec §8.2), followed by <see cref="Length"/> payload bytes:
/// <code>
///  0  u32 magic 0x668e33ef
///  4  u16 reply flags (bit 0 DONE)
///  6  u16 chunk type (§8.3)
///  8  u64 cookie
/// 16  u32 payload length
/// </code>
/// Payloads written here: OFFSET_DATA = u64 offset + data; BLOCK_STATUS = u32 context id +
/// n × (u32 length, u32 flags); ERROR = u32 error + u16 message length + message.
/// </summary>
public readonly record struct NbdStructuredReplyChunk(NbdReplyFlags Flags, NbdReplyChunkType Type, ulong Cookie, uint Length)
{
    public const int Size = 20;

    /// <summary>Header plus the u64 offset that starts an OFFSET_DATA payload.</summary>
    public const int OffsetDataPrefix = Size + 8;

    /// <summary>Spec §8.3: error messages are at most 4096 bytes.</summary>
    public const int MaxErrorMessage = 4096;

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, NbdMagic.StructuredReply);
        BinaryPrimitives.WriteUInt16BigEndian(b[4..], (ushort)Flags);
        BinaryPrimitives.WriteUInt16BigEndian(b[6..], (ushort)Type);
        BinaryPrimitives.WriteUInt64BigEndian(b[8..], Cookie);
        BinaryPrimitives.WriteUInt32BigEndian(b[16..], Length);
    }

    public static NbdStructuredReplyChunk Parse(ReadOnlySpan<byte> b)
    {
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(b);
        if (magic != NbdMagic.StructuredReply) throw new NbdProtocolException($"bad structured reply magic 0x{magic:x8}");
        return new NbdStructuredReplyChunk(
            (NbdReplyFlags)BinaryPrimitives.ReadUInt16BigEndian(b[4..]),
            (NbdReplyChunkType)BinaryPrimitives.ReadUInt16BigEndian(b[6..]),
            BinaryPrimitives.ReadUInt64BigEndian(b[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(b[16..]));
    }

    /// <summary>Writes a complete DONE + ERROR chunk into <paramref name="b"/>; returns its length.</summary>
    public static int WriteError(Span<byte> b, ulong cookie, NbdError error, string message)
    {
        int max = Math.Min(MaxErrorMessage, b.Length - Size - 6);
        int m = Encoding.UTF8.GetByteCount(message) <= max ? Encoding.UTF8.GetBytes(message, b[(Size + 6)..]) : 0;
        new NbdStructuredReplyChunk(NbdReplyFlags.Done, NbdReplyChunkType.Error, cookie, (uint)(6 + m)).Write(b);
        BinaryPrimitives.WriteUInt32BigEndian(b[Size..], (uint)error);
        BinaryPrimitives.WriteUInt16BigEndian(b[(Size + 4)..], (ushort)m);
        return Size + 6 + m;
    }
}
