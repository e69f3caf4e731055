namespace Snapcat.Tape.Awstape;

/// <summary>
/// Reads AWSTAPE chunks from a stream positioned at a chunk header, assembling multi-chunk blocks and
/// checking the <c>prvblkl</c> chain (specs/tape.md §a). End of file exactly at a header boundary is the
/// end of the medium; end of file inside a header or inside data is a truncated image.
/// The stream's position must equal <see cref="Offset"/> on every call; the owner (a drive) repositions both.
/// </summary>
public sealed class AwsTapeReader
{
    /// <summary>Largest block accepted on read (SDL Hercules 4.x writes up to 2 MiB in 64 KiB chunks).</summary>
    public const int MaxBlockLength = 2 * 1024 * 1024;

    private readonly Stream _stream;
    private readonly byte[] _header = new byte[AwsChunkHeader.Size];

    public AwsTapeReader(Stream stream, long offset = 0, ushort? previousChunkLength = 0)
    {
        _stream = stream;
        Offset = offset;
        PreviousChunkLength = previousChunkLength;
    }

    /// <summary>Image offset of the next chunk header.</summary>
    public long Offset { get; set; }

    /// <summary><c>curblkl</c> of the chunk before <see cref="Offset"/>; null when unknown (after a reposition), then not checked once.</summary>
    public ushort? PreviousChunkLength { get; set; }

    /// <summary>Reads the next block into <paramref name="buffer"/>, or reports a tape mark or the end of the medium.</summary>
    public TapeRead Read(Span<byte> buffer) => ReadCore(buffer, skipData: false);

    /// <summary>Like <see cref="Read"/> but seeks over the data (the stream must be seekable). Used to space over files.</summary>
    public TapeRead Skip() => ReadCore(default, skipData: true);

    private TapeRead ReadCore(Span<byte> buffer, bool skipData)
    {
        int total = 0;
        bool inBlock = false;
        while (true)
        {
            long headerOffset = Offset;
            int got = _stream.ReadAtLeast(_header, AwsChunkHeader.Size, throwOnEndOfStream: false);
            if (got == 0 && !inBlock)
                return TapeRead.EndOfTape;
            if (got < AwsChunkHeader.Size)
                throw new TapeFormatException("tape.truncated",
                    inBlock ? "the image ends inside a multi-chunk block" : $"the image ends inside a chunk header ({got} of 6 bytes)", headerOffset);
            AwsChunkHeader.TryParse(_header, headerOffset, out var h);
            if (PreviousChunkLength is { } expected && h.PreviousLength != expected)
                throw new TapeFormatException("tape.aws.chain",
                    $"chunk header says the previous chunk had {h.PreviousLength} bytes but it had {expected}", headerOffset);
            if (h.IsTapeMark)
            {
                if (inBlock)
                    throw new TapeFormatException("tape.aws.tape_mark_in_block", "tape mark before the end of a multi-chunk block", headerOffset);
                Offset += AwsChunkHeader.Size;
                PreviousChunkLength = 0;
                return TapeRead.TapeMark;
            }
            bool newRecord = (h.Flags & AwsFlags.NewRecord) != 0;
            if (newRecord == inBlock)
                throw new TapeFormatException("tape.aws.record_flags",
                    inBlock ? "a continuation chunk carries NEWREC" : "the first chunk of a block lacks NEWREC", headerOffset);
            int length = h.CurrentLength;
            if (total + length > (skipData ? MaxBlockLength : Math.Min(MaxBlockLength, buffer.Length)))
                throw new TapeFormatException("tape.block_too_large",
                    $"block of at least {total + length} bytes exceeds the {(skipData ? MaxBlockLength : buffer.Length)}-byte limit of this reader", headerOffset);
            long dataOffset = headerOffset + AwsChunkHeader.Size;
            if (skipData)
            {
                if (dataOffset + length > _stream.Length)
                    throw new TapeFormatException("tape.truncated", $"the image ends inside a {length}-byte chunk", dataOffset);
                _stream.Seek(length, SeekOrigin.Current);
            }
            else
            {
                int read = _stream.ReadAtLeast(buffer.Slice(total, length), length, throwOnEndOfStream: false);
                if (read < length)
                    throw new TapeFormatException("tape.truncated", $"the image ends inside a {length}-byte chunk after {read} bytes", dataOffset);
            }
            Offset = dataOffset + length;
            PreviousChunkLength = h.CurrentLength;
            total += length;
            if ((h.Flags & AwsFlags.EndRecord) != 0)
                return TapeRead.Block(total);
            inBlock = true;
        }
    }
}
