using System.Buffers.Binary;

namespace Snapcat.Nbd.Protocol;

/// <summary>
/// Option request header of the fixed-newstyle handshake (spec §3.3), followed by
/// <see cref="Length"/> data bytes:
/// <code>
///  0  u64 magic "IHAVEOPT"
///  8  u32 option code (raw, so unknown codes can be answered ERR_UNSUP)
/// 12  u32 data length
/// </code>
/// </summary>
public readonly record struct NbdOptionRequest(uint Option, uint Length)
{
    public const int Size = 16;

    public static NbdOptionRequest Parse(ReadOnlySpan<byte> b)
    {
        ulong magic = BinaryPrimitives.ReadUInt64BigEndian(b);
        if (magic != NbdMagic.IHaveOpt)
            throw new NbdProtocolException($"bad option magic 0x{magic:x16} (expected IHAVEOPT)");
        return new NbdOptionRequest(BinaryPrimitives.ReadUInt32BigEndian(b[8..]), BinaryPrimitives.ReadUInt32BigEndian(b[12..]));
    }

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt64BigEndian(b, NbdMagic.IHaveOpt);
        BinaryPrimitives.WriteUInt32BigEndian(b[8..], Option);
        BinaryPrimitives.WriteUInt32BigEndian(b[12..], Length);
    }
}
