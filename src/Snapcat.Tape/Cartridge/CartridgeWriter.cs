using Snapcat.Core.Errors;
using Snapcat.Tape.Awstape;
using Snapcat.Tape.Drive;
using Snapcat.Tape.Labels;

namespace Snapcat.Tape.Cartridge;

/// <summary>
/// Appends labelled files to one cartridge: <c>HDR1 HDR2 TM data… TM EOF1 EOF2 TM</c>, keeping the double
/// tape mark at the end of data after every file so the cartridge is readable whenever the writer stops.
/// Data blocks are refused (<see cref="TryWriteBlock"/> returns false) once the remaining space would not
/// hold the trailer labels any more, so an EOV trailer always fits.
/// </summary>
public sealed class CartridgeWriter
{
    private const int LabelChunk = AwsChunkHeader.Size + LabelFields.LabelLength;

    /// <summary>HDR1 HDR2 TM.</summary>
    public const int HeaderGroupBytes = 2 * LabelChunk + AwsChunkHeader.Size;

    /// <summary>TM EOF1 EOF2 TM TM (or the EOV equivalent): what must always remain free while writing data.</summary>
    public const int TrailerReserveBytes = AwsChunkHeader.Size + 2 * LabelChunk + 2 * AwsChunkHeader.Size;

    private FileLabel1? _header1;
    private FileLabel2? _header2;

    /// <summary>Made by <c>LabelNew</c> and <c>OpenForAppend</c> only, which know the cartridge's state.</summary>
    private CartridgeWriter() { }

    public required ITapeDrive Drive { get; init; }
    public required VolumeLabel Volume { get; init; }

    /// <summary>Serial of the first cartridge of the volume set this cartridge belongs to.</summary>
    public required string FileSetIdentifier { get; set; }

    public required int NextFileSequence { get; set; }
    public long BlocksInSection { get; private set; }

    /// <summary>Writes VOL1 TM TM on a loaded (blank or reused) cartridge and positions after VOL1.</summary>
    public static CartridgeWriter LabelNew(ITapeDrive drive, VolumeLabel volume)
    {
        drive.Rewind();
        drive.WriteBlock(volume.Encode());
        drive.WriteTapeMark();
        drive.WriteTapeMark();
        drive.BackspaceBlock();
        drive.BackspaceBlock();
        return new CartridgeWriter { Drive = drive, Volume = volume, FileSetIdentifier = volume.VolumeSerial, NextFileSequence = 1 };
    }

    /// <summary>Scans a labelled cartridge and positions between its two final tape marks, ready for the next file.</summary>
    public static CartridgeWriter OpenForAppend(ITapeDrive drive)
    {
        var info = CartridgeScanner.Scan(drive);
        if (info.IsClosed)
            throw new SnapcatException(ErrorKind.Conflict, "tape.cartridge_closed",
                $"cartridge {info.Volume.VolumeSerial} ends with a file continued on another volume; nothing can be appended");
        // With files, Scan leaves us after the final TM TM: back over one, so the next HDR1 overwrites the last
        // tape mark. On an empty cartridge (VOL1 TM TM) Scan stops after the first tape mark (the empty label
        // group after VOL1): back over it, so the header group directly follows VOL1.
        drive.BackspaceBlock();
        var last = info.Files.Count > 0 ? info.Files[^1].Header1 : null;
        return new CartridgeWriter
        {
            Drive = drive,
            Volume = info.Volume,
            FileSetIdentifier = last?.FileSetIdentifier ?? info.Volume.VolumeSerial,
            NextFileSequence = (last?.FileSequence ?? 0) + 1,
        };
    }

    /// <summary>Whether a header group, one block of <paramref name="blockLength"/> bytes and a trailer still fit.</summary>
    public bool CanBeginFile(int blockLength) =>
        Drive.RemainingBytes is not { } left || left >= HeaderGroupBytes + AwsChunkHeader.Size + blockLength + TrailerReserveBytes;

    public void BeginFile(FileLabel1 header1, FileLabel2 header2)
    {
        if (_header1 is not null)
            throw new InvalidOperationException($"file {_header1.FileSequence} on {Volume.VolumeSerial} is still open");
        Drive.WriteBlock(header1.Encode());
        Drive.WriteBlock(header2.Encode());
        Drive.WriteTapeMark();
        _header1 = header1;
        _header2 = header2;
        BlocksInSection = 0;
        NextFileSequence = header1.FileSequence + 1;
    }

    public bool TryWriteBlock(ReadOnlySpan<byte> block)
    {
        if (_header1 is null)
            throw new InvalidOperationException("no file is open");
        if (Drive.RemainingBytes is { } left && left < AwsChunkHeader.Size + block.Length + TrailerReserveBytes)
            return false;
        Drive.WriteBlock(block);
        BlocksInSection++;
        return true;
    }

    /// <summary>TM EOF1 EOF2 TM TM, then back over the last tape mark so the next file can follow.</summary>
    public void EndFile() => WriteTrailer(LabelGroup.EndOfFile);

    /// <summary>TM EOV1 EOV2 TM TM: the open file continues on another cartridge; this one is closed.</summary>
    public void EndVolume() => WriteTrailer(LabelGroup.EndOfVolume);

    private void WriteTrailer(LabelGroup group)
    {
        var h1 = _header1 ?? throw new InvalidOperationException("no file is open");
        Drive.WriteTapeMark();
        Drive.WriteBlock((h1 with { Group = group, BlockCount = (int)(BlocksInSection % FileLabel1.BlockCountModulus) }).Encode());
        Drive.WriteBlock((_header2! with { Group = group }).Encode());
        Drive.WriteTapeMark();
        Drive.WriteTapeMark();
        if (group == LabelGroup.EndOfFile)
            Drive.BackspaceBlock();
        _header1 = null;
        _header2 = null;
    }
}
