using Snapcat.Core.Errors;
using Snapcat.Tape.Awstape;

namespace Snapcat.Tape.Drive;

/// <summary>
/// A virtual drive over one AWSTAPE cartridge image file (specs/tape.md §a). The configured capacity is the
/// image size at which the medium is full (Hercules' <c>maxsize</c>); writes beyond it fail with
/// <c>tape.end_of_medium</c>, and callers keep below it by checking <see cref="RemainingBytes"/>.
///
/// Failure policy: a write that fails leaves the image cut at the last complete chunk at worst (the file
/// is truncated at the write position before writing), so a later scan sees a truncated or unterminated
/// cartridge and reports it; nothing before the write position is touched.
/// </summary>
public sealed class AwsTapeDrive : ITapeDrive
{
    private readonly string _path;
    private readonly bool _readOnly;
    private FileStream? _file;

    // Data blocks are gathered into 1 MiB writes (about 17 blocks per system call instead of one). Every
    // operation that is not a block write empties it first, so reads and repositioning see the file as written.
    private BufferedStream? _writeBehind;
    private AwsTapeReader? _reader;
    private AwsTapeWriter? _writer;
    private readonly byte[] _header = new byte[AwsChunkHeader.Size];

    // True once the image has been cut at the write position; cleared by every reposition.
    private bool _truncatedHere;

    public AwsTapeDrive(string imagePath, long? capacityBytes = null, bool readOnly = false)
    {
        if (capacityBytes is < 1024)
            throw new ArgumentOutOfRangeException(nameof(capacityBytes), capacityBytes, "a cartridge holds at least 1 KiB");
        _path = imagePath;
        _readOnly = readOnly;
        CapacityBytes = capacityBytes;
    }

    public string Name => _path;
    public bool IsLoaded => _file is not null;
    public long? CapacityBytes { get; }
    public long BlockPosition { get; private set; }

    /// <summary>Image offset of the current position.</summary>
    public long ByteOffset => Reader.Offset;

    public long? RemainingBytes => CapacityBytes is { } c ? Math.Max(0, c - Reader.Offset) : null;

    private FileStream File => _file ?? throw new InvalidOperationException($"no cartridge is loaded in the drive for {_path}");
    private AwsTapeReader Reader => _reader ?? throw new InvalidOperationException($"no cartridge is loaded in the drive for {_path}");

    public void Load()
    {
        if (_file is not null)
            return;
        var options = _readOnly
            ? new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 1 << 16 }
            : new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.Read, BufferSize = 1 << 16 };
        // A cartridge holds backup data: an image this drive creates is the owner's alone.
        if (!_readOnly && !OperatingSystem.IsWindows()) options.UnixCreateMode = Snapcat.Core.Storage.DurableFile.PrivateFile;
        _file = new FileStream(_path, options);
        _reader = new AwsTapeReader(_file);
        _writeBehind = new BufferedStream(_file, 1 << 20);
        _writer = new AwsTapeWriter(_writeBehind);
        Rewind();
    }

    public void Unload()
    {
        if (_file is null)
            return;
        try
        {
            if (!_readOnly)
            {
                _writeBehind!.Flush();
                _file.Flush(flushToDisk: true);
            }
        }
        finally
        {
            _file.Dispose();
            _file = null;
            _writeBehind = null;
            _reader = null;
            _writer = null;
        }
    }

    public void Dispose() => Unload();

    public void Rewind() => MoveTo(0, 0, 0);

    private void FlushWrites() => _writeBehind?.Flush();

    private void MoveTo(long offset, ushort previous, long block)
    {
        FlushWrites();
        File.Position = offset;
        Reader.Offset = offset;
        Reader.PreviousChunkLength = previous;
        BlockPosition = block;
        _truncatedHere = false;
    }

    public void WriteBlock(ReadOnlySpan<byte> block)
    {
        AwsTapeWriter.CheckBlockLength(block.Length);
        PrepareWrite(AwsChunkHeader.Size + block.Length);
        _writer!.WriteBlock(block);
        Advance(AwsChunkHeader.Size + block.Length, (ushort)block.Length);
    }

    public void WriteTapeMark()
    {
        PrepareWrite(AwsChunkHeader.Size);
        _writer!.WriteTapeMark();
        Advance(AwsChunkHeader.Size, 0);
        FlushWrites();
        // A tape mark closes a tape file. The labels that follow (EOF1 with its block count, the next
        // HDR1) claim that the file before them is complete, so the data must be on stable storage before
        // they are written: fsync here, like a real drive that empties its buffer on a synchronous WEOF.
        File.Flush(flushToDisk: true);
    }

    private void PrepareWrite(int chunkBytes)
    {
        if (_readOnly)
            throw new SnapcatException(ErrorKind.Conflict, "tape.read_only", $"cartridge {_path} is loaded read-only");
        long offset = Reader.Offset;
        if (CapacityBytes is { } cap && offset + chunkBytes > cap)
            throw new SnapcatException(ErrorKind.Conflict, "tape.end_of_medium",
                $"cartridge {_path} is full: {chunkBytes} more bytes at offset {offset} exceed its capacity of {cap} bytes");
        if (!_truncatedHere)
        {
            FlushWrites();
            // Tape writes are destructive: whatever followed the write position is gone (Hercules ftruncates too).
            File.SetLength(offset);
            File.Position = offset;
            _truncatedHere = true;
        }
        _writer!.PreviousChunkLength = Reader.PreviousChunkLength ?? 0;
    }

    private void Advance(int bytes, ushort chunkLength)
    {
        Reader.Offset += bytes;
        Reader.PreviousChunkLength = chunkLength;
        BlockPosition++;
    }

    public TapeRead ReadBlock(Span<byte> buffer)
    {
        FlushWrites();
        _truncatedHere = false;
        var r = Reader.Read(buffer);
        if (r.Kind != TapeReadKind.EndOfTape)
            BlockPosition++;
        return r;
    }

    public long SpaceFilesForward(int count)
    {
        FlushWrites();
        _truncatedHere = false;
        long blocks = 0;
        while (count > 0)
        {
            long at = Reader.Offset;
            var r = Reader.Skip();
            if (r.Kind == TapeReadKind.EndOfTape)
                throw new TapeFormatException("tape.end_of_tape", $"the recording ends while spacing forward over {count} more tape file(s)", at);
            BlockPosition++;
            if (r.IsTapeMark)
                count--;
            else
                blocks++;
        }
        return blocks;
    }

    public void BackspaceBlock()
    {
        FlushWrites();
        long offset = Reader.Offset;
        if (offset == 0)
            throw new SnapcatException(ErrorKind.Conflict, "tape.load_point", $"cartridge {_path} is at its load point; there is nothing to back over");
        ushort previous = Reader.PreviousChunkLength
            ?? throw new InvalidOperationException("the length of the previous chunk is unknown");
        // Step back chunk by chunk until the first chunk of a block (NEWREC) or a tape mark (specs/tape.md §a).
        while (true)
        {
            long at = offset - AwsChunkHeader.Size - previous;
            if (at < 0)
                throw new TapeFormatException("tape.aws.chain", $"previous-chunk length {previous} points before the load point", offset);
            File.Position = at;
            File.ReadExactly(_header);
            AwsChunkHeader.TryParse(_header, at, out var h);
            if (h.CurrentLength != previous)
                throw new TapeFormatException("tape.aws.chain", $"chunk has {h.CurrentLength} bytes but the next header says {previous}", at);
            offset = at;
            previous = h.PreviousLength;
            if (h.IsTapeMark || (h.Flags & AwsFlags.NewRecord) != 0)
                break;
        }
        MoveTo(offset, previous, BlockPosition - 1);
    }

    public bool SeekEndOfData()
    {
        Rewind();
        bool lastWasTapeMark = false;
        while (true)
        {
            var r = Reader.Skip();
            if (r.Kind == TapeReadKind.EndOfTape)
                return false;
            BlockPosition++;
            if (r.IsTapeMark && lastWasTapeMark)
                return true;
            lastWasTapeMark = r.IsTapeMark;
        }
    }
}
