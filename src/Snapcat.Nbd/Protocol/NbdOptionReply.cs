using System.Buffers.Binary;

namespace Snapcat.Nbd.Protocol;

/// <summary>
/// Option reply header (spec §3.4), followed by <see cref="Length"/> data bytes. Used for every
/// option except EXPORT_NAME, whose answer has no header (§3.6).
/// <code>
///  0  u64 magic 0x0003e889045565a9
///  8  u32 option code being answered (echo)
/// 12  u32 reply type (§3.7; bit 31 = error)
/// 16  u32 data length
/// </code>
/// </summary>
public readonly record struct NbdOptionReply(uint Option, NbdOptionReplyType Type, uint Length)
{
    public const int Size = 20;

    public bool IsError => ((uint)Type & 0x80000000) != 0;

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt64BigEndian(b, NbdMagic.OptionReply);
        BinaryPrimitives.WriteUInt32BigEndian(b[8..], Option);
        BinaryPrimitives.WriteUInt32BigEndian(b[12..], (uint)Type);
        BinaryPrimitives.WriteUInt32BigEndian(b[16..], Length);
    }

    public static NbdOptionReply Parse(ReadOnlySpan<byte> b)
    {
        ulong magic = BinaryPrimitives.ReadUInt64BigEndian(b);
        if (magic != NbdMagic.OptionReply) throw new NbdProtocolException($"bad option reply magic 0x{magic:x16}");
        return new NbdOptionReply(
            BinaryPrimitives.ReadUInt32BigEndian(b[8..]),
            (NbdOptionReplyType)BinaryPrimitives.ReadUInt32BigEndian(b[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(b[16..]));
    }
}
