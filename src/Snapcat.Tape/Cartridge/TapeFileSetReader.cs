using Snapcat.Core.Errors;
using Snapcat.Tape.Drive;
using Snapcat.Tape.Labels;

namespace Snapcat.Tape.Cartridge;

/// <summary>
/// Reads labelled files of a volume set block by block, following a file from an EOV trailer to the
/// cartridge whose first HDR1 names the same file set, sequence and the next section, and checking every
/// section's block count against its trailer.
/// </summary>
public sealed class TapeFileSetReader(ICartridgeLibrary library) : IDisposable
{
    private readonly byte[] _labelBuffer = new byte[ushort.MaxValue];
    private ITapeDrive? _drive;
    private FileLabel1? _header1;
    private long _blocks;
    private bool _endOfFile;

    public FileLabel1 CurrentFile => _header1 ?? throw new InvalidOperationException("no file is open");
    public string? CurrentVolume { get; private set; }

    public FileLabel1 OpenFile(TapeFileLocation location)
    {
        Switch(library.Mount(location.VolumeSerial, writable: false), location.VolumeSerial);
        var (h1, _) = CartridgeScanner.LocateFile(_drive!, location.FileSequence);
        return Opened(h1);
    }

    /// <summary>After a file was read to its end, opens the file with the next sequence number of the set.</summary>
    public FileLabel1 OpenNextFile()
    {
        var previous = CurrentFile;
        if (!_endOfFile)
            throw new InvalidOperationException("the current file has not been read to its end");
        var group = LabelGroupReader.Read(_drive!, _labelBuffer, $"after file {previous.FileSequence}");
        if (group.Count == 0)
            return Opened(FindContinuation(previous.FileSetIdentifier, previous.FileSequence + 1, 1).Header1);
        var (h1, _) = CartridgeScanner.ParseHeaderGroup(_drive!, group);
        if (h1.FileSequence != previous.FileSequence + 1)
            throw new TapeFormatException("tape.sequence", $"cartridge {CurrentVolume}: file {h1.FileSequence} follows file {previous.FileSequence}");
        return Opened(h1);
    }

    /// <summary>Reads the next data block of the open file into <paramref name="buffer"/> (65,535 bytes
    /// suffice for Snapcat tapes); returns its length, or 0 at the end of the file.</summary>
    public int ReadBlock(Span<byte> buffer)
    {
        var h1 = CurrentFile;
        while (!_endOfFile)
        {
            var r = _drive!.ReadBlock(buffer);
            if (r.IsBlock)
            {
                _blocks++;
                return r.Length;
            }
            if (r.Kind == TapeReadKind.EndOfTape)
                throw new TapeFormatException("tape.unterminated",
                    $"cartridge {CurrentVolume} ends inside the data of file {h1.FileSequence} ('{h1.FileIdentifier}'): the cartridge is truncated");
            var trailer = CartridgeScanner.ReadTrailer(_drive, _labelBuffer, h1, FileLabel2Placeholder, _blocks);
            if (!trailer.ContinuesOnNextVolume)
            {
                _endOfFile = true;
                break;
            }
            var (_, nh1, nh2) = FindContinuation(h1.FileSetIdentifier, h1.FileSequence, h1.FileSection + 1);
            if (!nh2.ContinuedFromPreviousVolume)
                throw new TapeFormatException("tape.continuation", $"cartridge {CurrentVolume}: HDR2 of the continued section does not say it is continued");
            Opened(nh1);
            h1 = nh1;
        }
        return 0;
    }

    private static readonly FileLabel2 FileLabel2Placeholder = new() { BlockLength = 0 };

    private FileLabel1 Opened(FileLabel1 h1)
    {
        _header1 = h1;
        _blocks = 0;
        _endOfFile = false;
        return h1;
    }

    private (VolumeLabel, FileLabel1 Header1, FileLabel2) FindContinuation(string fileSetId, int sequence, int section)
    {
        foreach (string serial in library.VolumeSerials())
        {
            if (serial == CurrentVolume)
                continue;
            ITapeDrive drive;
            try { drive = library.Mount(serial, writable: false); }
            catch (SnapcatException) { continue; }
            try
            {
                // A damaged unrelated cartridge must not stop the search (it is reported by its own scan).
                if (CartridgeScanner.ReadFirstHeader(drive) is { } first &&
                    first.Header1.FileSetIdentifier == fileSetId && first.Header1.FileSequence == sequence && first.Header1.FileSection == section)
                {
                    Switch(drive, serial);
                    return first;
                }
            }
            catch (TapeFormatException) { }
            drive.Dispose();
        }
        throw new SnapcatException(ErrorKind.NotFound, "tape.continuation_missing",
            $"no cartridge in the library holds section {section} of file {sequence} of file set {fileSetId}; load the next cartridge of the set");
    }

    private void Switch(ITapeDrive drive, string serial)
    {
        if (!ReferenceEquals(_drive, drive))
            _drive?.Dispose();
        _drive = drive;
        CurrentVolume = serial;
    }

    public void Dispose()
    {
        _drive?.Dispose();
        _drive = null;
    }
}
