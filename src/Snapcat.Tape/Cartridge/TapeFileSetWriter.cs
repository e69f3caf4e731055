using Snapcat.Core.Errors;
using Snapcat.Tape.Labels;

namespace Snapcat.Tape.Cartridge;

/// <summary>
/// Writes labelled files into a library's volume set, crossing cartridges as they fill
/// (specs/tape.md §d "Data set continued on another volume"):
/// <code>
/// full cartridge:  … HDR1(section n) HDR2 TM data… TM EOV1 EOV2 TM TM
/// next cartridge:  VOL1 HDR1(section n+1, same file set and sequence) HDR2(continued '1') TM data… TM EOF1 EOF2 TM TM
/// </code>
/// A file whose header group and first block no longer fit starts as section 1 on the next cartridge instead.
/// Failure policy: an exception leaves each cartridge as its last complete write left it; the label scan
/// reports the unterminated one, and cartridges completed before stay readable.
/// </summary>
public sealed class TapeFileSetWriter(ICartridgeLibrary library, TimeProvider? clock = null) : IDisposable
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly List<string> _volumesUsed = [];
    private CartridgeWriter? _cartridge;
    private FileLabel1? _header1;
    private FileLabel2? _header2;

    public IReadOnlyList<string> VolumesUsed => _volumesUsed;

    public TapeFileLocation BeginFile(string fileIdentifier, int blockLength, char recordFormat = 'U', int recordLength = 0)
    {
        if (_header1 is not null)
            throw new InvalidOperationException($"file '{_header1.FileIdentifier}' is still open");
        var cartridge = _cartridge ??= OpenAppendable();
        if (!cartridge.CanBeginFile(blockLength))
            cartridge = NextCartridge(cartridge.FileSetIdentifier, cartridge.NextFileSequence);
        _header1 = new FileLabel1
        {
            FileIdentifier = fileIdentifier,
            FileSetIdentifier = cartridge.FileSetIdentifier,
            FileSequence = cartridge.NextFileSequence,
            CreationDate = DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime),
        };
        _header2 = new FileLabel2 { RecordFormat = recordFormat, BlockLength = blockLength, RecordLength = recordLength };
        cartridge.BeginFile(_header1, _header2);
        return new TapeFileLocation(cartridge.Volume.VolumeSerial, _header1.FileSequence);
    }

    public void WriteBlock(ReadOnlySpan<byte> block)
    {
        var cartridge = _cartridge ?? throw new InvalidOperationException("no file is open");
        if (_header1 is null)
            throw new InvalidOperationException("no file is open");
        if (cartridge.TryWriteBlock(block))
            return;
        // Early warning: close this volume with EOV labels and continue the same file on a new cartridge.
        cartridge.EndVolume();
        var next = NextCartridge(cartridge.FileSetIdentifier, _header1.FileSequence);
        _header1 = _header1 with { FileSection = _header1.FileSection + 1 };
        _header2 = _header2! with { ContinuedFromPreviousVolume = true };
        next.BeginFile(_header1, _header2);
        if (!next.TryWriteBlock(block))
            throw new SnapcatException(ErrorKind.Conflict, "tape.capacity_too_small",
                $"a new cartridge cannot hold one {block.Length}-byte block with its labels; raise the cartridge capacity");
    }

    public void EndFile()
    {
        if (_cartridge is null || _header1 is null)
            throw new InvalidOperationException("no file is open");
        _cartridge.EndFile();
        _header1 = null;
        _header2 = null;
    }

    private CartridgeWriter OpenAppendable()
    {
        if (library.AppendVolumeSerial is { } serial)
        {
            var drive = library.Mount(serial, writable: true);
            try
            {
                var info = CartridgeScanner.Scan(drive);
                if (!info.IsClosed)
                {
                    var writer = CartridgeWriter.OpenForAppend(drive);
                    _volumesUsed.Add(serial);
                    return writer;
                }
                drive.Dispose();
                return NextCartridge(info.Files[^1].FileSetIdentifier, info.Files[^1].FileSequence + 1);
            }
            catch
            {
                drive.Dispose();
                throw;
            }
        }
        var scratch = library.MountScratch(out string volser);
        _volumesUsed.Add(volser);
        return CartridgeWriter.LabelNew(scratch, new VolumeLabel { VolumeSerial = volser, Owner = library.Owner });
    }

    private CartridgeWriter NextCartridge(string fileSetId, int nextSequence)
    {
        _cartridge?.Drive.Dispose();
        var drive = library.MountScratch(out string volser);
        _volumesUsed.Add(volser);
        var writer = CartridgeWriter.LabelNew(drive, new VolumeLabel { VolumeSerial = volser, Owner = library.Owner });
        writer.FileSetIdentifier = fileSetId;
        writer.NextFileSequence = nextSequence;
        _cartridge = writer;
        return writer;
    }

    public void Dispose()
    {
        _cartridge?.Drive.Dispose();
        _cartridge = null;
    }
}
