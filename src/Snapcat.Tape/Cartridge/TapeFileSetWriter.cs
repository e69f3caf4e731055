using Snapcat.Core.Errors;
using Snapcat.Tape.Awstape;
using Snapcat.Tape.Drive;
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
/// Failure policy: an exception leaves each cartridge as its last complete write left it; the owner then calls
/// <see cref="Abandon"/>, which cuts every cartridge this writer touched back to what it held before.
/// </summary>
public sealed class TapeFileSetWriter(ICartridgeLibrary library, TimeProvider? clock = null) : IDisposable
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly List<string> _volumesUsed = [];
    private readonly List<(string Serial, int FilesBefore)> _touched = [];
    private CartridgeWriter? _cartridge;
    private FileLabel1? _header1;
    private FileLabel2? _header2;

    public IReadOnlyList<string> VolumesUsed => _volumesUsed;

    public TapeFileLocation BeginFile(string fileIdentifier, int blockLength, char recordFormat = 'U', int recordLength = 0)
    {
        if (_header1 is not null)
            throw new InvalidOperationException($"file '{_header1.FileIdentifier}' is still open");
        var cartridge = _cartridge ??= OpenAppendable(blockLength);
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

    /// <summary>
    /// The first cartridge, in serial order, that is neither damaged nor closed and still has room for a header group,
    /// one block and a trailer; a new scratch cartridge when none has. Labelled empty cartridges count: they are
    /// what an administrator labels in advance. The next file sequence continues the cartridge's file set across the
    /// whole library (a recycled cartridge's serial may still name the set of files on other cartridges).
    /// </summary>
    private CartridgeWriter OpenAppendable(int blockLength)
    {
        var scanned = ScanLibrary();
        foreach (var (serial, info) in scanned)
        {
            if (info.IsClosed || !Fits(info.RemainingBytes, blockLength))
                continue;
            var drive = library.Mount(serial, writable: true);
            try
            {
                var writer = CartridgeWriter.OpenForAppend(drive);
                writer.NextFileSequence = NextSequence(scanned, writer.FileSetIdentifier, writer.NextFileSequence);
                Touch(serial, info.Files.Count);
                return writer;
            }
            catch
            {
                drive.Dispose();
                throw;
            }
        }
        var fresh = EmptyOrScratch();
        return Start(fresh, fresh.Serial, NextSequence(scanned, fresh.Serial, 1));
    }

    private CartridgeWriter NextCartridge(string fileSetId, int nextSequence)
    {
        _cartridge?.Drive.Dispose();
        _cartridge = null;
        var (drive, volser) = EmptyOrScratch();
        var writer = Start((drive, volser), fileSetId, nextSequence);
        _cartridge = writer;
        return writer;
    }

    /// <summary>An empty labelled cartridge this writer has not used yet (its label is rewritten), else a new scratch one.</summary>
    private (ITapeDrive Drive, string Serial) EmptyOrScratch()
    {
        foreach (var (serial, info) in ScanLibrary())
        {
            if (info.Files.Count > 0 || _touched.Any(t => t.Serial == serial))
                continue;
            return (library.Mount(serial, writable: true), serial);
        }
        var scratch = library.MountScratch(out string volser);
        return (scratch, volser);
    }

    private CartridgeWriter Start((ITapeDrive Drive, string Serial) cartridge, string fileSetId, int nextSequence)
    {
        Touch(cartridge.Serial, 0);
        try
        {
            var writer = CartridgeWriter.LabelNew(cartridge.Drive, new VolumeLabel { VolumeSerial = cartridge.Serial, Owner = library.Owner });
            writer.FileSetIdentifier = fileSetId;
            writer.NextFileSequence = nextSequence;
            return writer;
        }
        catch
        {
            cartridge.Drive.Dispose();
            throw;
        }
    }

    private bool Fits(long? remaining, int blockLength) =>
        remaining is not { } left || left >= CartridgeWriter.HeaderGroupBytes + AwsChunkHeader.Size + blockLength + CartridgeWriter.TrailerReserveBytes;

    /// <summary>The append candidates whose labels scan cleanly (a damaged one is skipped: the library scan reports it).</summary>
    private List<(string Serial, CartridgeInfo Info)> ScanLibrary()
    {
        var found = new List<(string, CartridgeInfo)>();
        foreach (string serial in library.AppendCandidates())
        {
            try
            {
                using var drive = library.Mount(serial, writable: false);
                var info = CartridgeScanner.Scan(drive);
                if (info.Volume.VolumeSerial == serial)
                    found.Add((serial, info));
            }
            catch (Exception e) when (e is SnapcatException or IOException)
            {
                // Damaged or torn: not a place to write; TapeTailRepair or an administrator deals with it.
            }
        }
        return found;
    }

    private static int NextSequence(List<(string Serial, CartridgeInfo Info)> scanned, string fileSet, int atLeast) =>
        Math.Max(atLeast, scanned.SelectMany(c => c.Info.Files).Where(f => f.FileSetIdentifier == fileSet)
            .Select(f => f.FileSequence + 1).DefaultIfEmpty(1).Max());

    private void Touch(string serial, int filesBefore)
    {
        if (!_touched.Any(t => t.Serial == serial))
            _touched.Add((serial, filesBefore));
        if (!_volumesUsed.Contains(serial))
            _volumesUsed.Add(serial);
    }

    /// <summary>
    /// Takes back everything this writer recorded: each cartridge it wrote is cut back to the files it held before
    /// (an empty one ends <c>VOL1 TM TM</c> again), last cartridge first. Called when a write fails or is cancelled,
    /// so an interrupted backup does not occupy the rest of a cartridge. Not cancellable: it runs to the end or throws
    /// (a drive that fails here leaves a torn tail, which <see cref="Backup.TapeTailRepair"/> cuts before the next append).
    /// </summary>
    public void Abandon()
    {
        _cartridge?.Drive.Dispose();
        _cartridge = null;
        _header1 = null;
        _header2 = null;
        for (int i = _touched.Count - 1; i >= 0; i--)
        {
            var (serial, filesBefore) = _touched[i];
            using var drive = library.Mount(serial, writable: true);
            try
            {
                CartridgeTail.CutAfter(drive, filesBefore);
            }
            catch (TapeFormatException) when (filesBefore == 0)
            {
                // The cartridge was cut off while this writer labelled it: label it again.
                CartridgeWriter.LabelNew(drive, new VolumeLabel { VolumeSerial = serial, Owner = library.Owner });
            }
        }
        _touched.Clear();
    }

    public void Dispose()
    {
        _cartridge?.Drive.Dispose();
        _cartridge = null;
    }
}
