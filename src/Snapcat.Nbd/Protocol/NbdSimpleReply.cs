using System.Buffers.Binary;

namespace Snapcat.Nbd.Protocol;

/// <summary>
/// Simple reply header (spec §8.1); READ data follows only on success:
/// <code>
///  0  u32 magic 0x67446698
///  4  u32 error (0 = success, §9 values)
///  8  u64 cookie
/// </code>
/// </summary>
public readonly record struct NbdSimpleReply(NbdError Error, ulong Cookie)
{
    public const int Size = 16;

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, NbdMagic.SimpleReply);
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], (uint)Error);
        BinaryPrimitives.WriteUInt64BigEndian(b[8..], Cookie);
    }

    public static NbdSimpleReply Parse(ReadOnlySpan<byte> b)
    {
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(b);
        if (magic != NbdMagic.SimpleReply) throw new NbdProtocolException($"bad simple reply magic 0x{magic:x8}");
        return new NbdSimpleReply((NbdError)BinaryPrimitives.ReadUInt32BigEndian(b[4..]), BinaryPrimitives.ReadUInt64BigEndian(b[8..]));
    }
}
