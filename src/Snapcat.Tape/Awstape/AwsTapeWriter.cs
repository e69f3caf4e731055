namespace Snapcat.Tape.Awstape;

/// <summary>
/// Writes blocks and tape marks in AWSTAPE framing: every block is one chunk (flags 0xA0), so Hercules 3.13
/// tools (which read nothing over 65,535 bytes and backspace one chunk at a time) handle every image.
/// Zero-length blocks are refused: readers take them for tape marks (specs/tape.md §a).
/// </summary>
public sealed class AwsTapeWriter
{
    public const int MaxBlockLength = ushort.MaxValue;

    private readonly Stream _stream;
    private readonly byte[] _header = new byte[AwsChunkHeader.Size];

    public AwsTapeWriter(Stream stream, ushort previousChunkLength = 0)
    {
        _stream = stream;
        PreviousChunkLength = previousChunkLength;
    }

    /// <summary><c>curblkl</c> of the last chunk written (or found before the write position); 0 at load point and after a tape mark.</summary>
    public ushort PreviousChunkLength { get; set; }

    public static void CheckBlockLength(int length)
    {
        if (length is < 1 or > MaxBlockLength)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"a tape block holds 1..{MaxBlockLength} bytes");
    }

    public void WriteBlock(ReadOnlySpan<byte> block)
    {
        CheckBlockLength(block.Length);
        AwsChunkHeader.ForBlock(block.Length, PreviousChunkLength).Write(_header);
        _stream.Write(_header);
        _stream.Write(block);
        PreviousChunkLength = (ushort)block.Length;
    }

    public void WriteTapeMark()
    {
        AwsChunkHeader.ForTapeMark(PreviousChunkLength).Write(_header);
        _stream.Write(_header);
        PreviousChunkLength = 0;
    }
}
