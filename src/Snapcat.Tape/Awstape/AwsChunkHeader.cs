using System.Buffers.Binary;

namespace Snapcat.Tape.Awstape;

/// <summary>
/// The 6-byte header in front of every AWSTAPE chunk (specs/tape.md §a). Integers little-endian.
/// <code>
///  off len field
///    0   2 curblkl  data bytes after this header (0 for a tape mark)
///    2   2 prvblkl  curblkl of the header just before this one (0 at load point and after a tape mark)
///    4   1 flags1   0x80 NEWREC, 0x40 TAPEMARK, 0x20 ENDREC
///    5   1 flags2   0 (vendor compression flag, not supported)
/// </code>
/// </summary>
public readonly record struct AwsChunkHeader(ushort CurrentLength, ushort PreviousLength, AwsFlags Flags)
{
    public const int Size = 6;

    /// <summary>Bits Snapcat does not understand: HET compression (0x03), Bus-Tech segmentation (0x10), 0x0C unused.</summary>
    private const byte UnsupportedFlags1 = 0x1F;

    public bool IsTapeMark => (Flags & AwsFlags.TapeMark) != 0;

    public static AwsChunkHeader ForBlock(int length, ushort previous) => new((ushort)length, previous, AwsFlags.WholeBlock);

    public static AwsChunkHeader ForTapeMark(ushort previous) => new(0, previous, AwsFlags.TapeMark);

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(destination, CurrentLength);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], PreviousLength);
        destination[4] = (byte)Flags;
        destination[5] = 0;
    }

    /// <summary>
    /// Parses and validates one header found at <paramref name="offset"/>. Returns false when fewer than
    /// <see cref="Size"/> bytes are available ("need more bytes"); throws <see cref="TapeFormatException"/>
    /// for a header no AWSTAPE writer produces ("malformed").
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> source, long offset, out AwsChunkHeader header)
    {
        header = default;
        if (source.Length < Size)
            return false;
        ushort current = BinaryPrimitives.ReadUInt16LittleEndian(source);
        ushort previous = BinaryPrimitives.ReadUInt16LittleEndian(source[2..]);
        byte flags1 = source[4], flags2 = source[5];
        if (flags2 != 0)
            throw new TapeFormatException("tape.aws.flags2", $"AWSTAPE flags2 is 0x{flags2:X2}; compressed (vendor) chunks are not supported", offset);
        if ((flags1 & UnsupportedFlags1) != 0)
            throw new TapeFormatException("tape.aws.flags1", $"AWSTAPE flags1 0x{flags1:X2} uses compression or segmentation bits that Snapcat does not read", offset);
        var flags = (AwsFlags)flags1;
        if ((flags & AwsFlags.TapeMark) != 0)
        {
            // Hercules rejects a tape mark with a length or combined with record flags (specs/tape.md §a).
            if (flags != AwsFlags.TapeMark || current != 0)
                throw new TapeFormatException("tape.aws.tape_mark", $"tape mark header with flags 0x{flags1:X2} and length {current}", offset);
        }
        else if (current == 0)
        {
            // A zero-length data chunk reads as a tape mark in Hercules and makes tapemap abort.
            throw new TapeFormatException("tape.aws.empty_chunk", "data chunk of length 0", offset);
        }
        header = new AwsChunkHeader(current, previous, flags);
        return true;
    }
}
