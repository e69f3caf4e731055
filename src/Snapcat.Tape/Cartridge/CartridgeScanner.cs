using Snapcat.Core.Errors;
using Snapcat.Tape.Drive;
using Snapcat.Tape.Labels;

namespace Snapcat.Tape.Cartridge;

/// <summary>
/// Walks a labelled cartridge (specs/tape.md §d "File structure on the tape"):
/// <code>
/// VOL1 [HDR1 HDR2 TM data… TM EOF1 EOF2 TM]… TM          (an empty cartridge is VOL1 TM TM)
/// the last section may end TM EOV1 EOV2 TM TM instead (continued on the next volume)
/// </code>
/// Every data file's block count is checked against its EOF1/EOV1; anything else is a typed error.
/// </summary>
public static class CartridgeScanner
{
    /// <summary>Scans the whole cartridge; the drive ends positioned after the closing double tape mark.</summary>
    public static CartridgeInfo Scan(ITapeDrive drive)
    {
        var buffer = new byte[ushort.MaxValue];
        var volume = ReadVolumeLabel(drive, buffer);
        var files = new List<CartridgeFileInfo>();
        var group = LabelGroupReader.Read(drive, buffer, "after VOL1");
        while (group.Count > 0)
        {
            if (files.Count > 0 && files[^1].ContinuesOnNextVolume)
                throw new TapeFormatException("tape.after_eov", $"cartridge {drive.Name} records more files after an end-of-volume trailer");
            var (h1, h2) = ParseHeaderGroup(drive, group);
            long blocks = drive.SpaceFilesForward(1);
            files.Add(ReadTrailer(drive, buffer, h1, h2, blocks));
            group = LabelGroupReader.Read(drive, buffer, $"after file {h1.FileSequence}");
        }
        return new CartridgeInfo(volume, files, drive.RemainingBytes);
    }

    /// <summary>Positions the drive at the first data block of file <paramref name="fileSequence"/> and returns its header labels.</summary>
    public static (FileLabel1 Header1, FileLabel2 Header2) LocateFile(ITapeDrive drive, int fileSequence)
    {
        var buffer = new byte[ushort.MaxValue];
        ReadVolumeLabel(drive, buffer);
        var group = LabelGroupReader.Read(drive, buffer, "after VOL1");
        while (group.Count > 0)
        {
            var (h1, h2) = ParseHeaderGroup(drive, group);
            if (h1.FileSequence == fileSequence)
                return (h1, h2);
            long blocks = drive.SpaceFilesForward(1);
            ReadTrailer(drive, buffer, h1, h2, blocks);
            group = LabelGroupReader.Read(drive, buffer, $"after file {h1.FileSequence}");
        }
        throw new SnapcatException(ErrorKind.NotFound, "tape.file_not_found", $"cartridge {drive.Name} holds no file with sequence number {fileSequence}");
    }

    /// <summary>Reads VOL1 and the first header group; positions at that file's data. Null for an empty cartridge.</summary>
    public static (VolumeLabel Volume, FileLabel1 Header1, FileLabel2 Header2)? ReadFirstHeader(ITapeDrive drive)
    {
        var buffer = new byte[ushort.MaxValue];
        var volume = ReadVolumeLabel(drive, buffer);
        var group = LabelGroupReader.Read(drive, buffer, "after VOL1");
        if (group.Count == 0)
            return null;
        var (h1, h2) = ParseHeaderGroup(drive, group);
        return (volume, h1, h2);
    }

    public static VolumeLabel ReadVolumeLabel(ITapeDrive drive, byte[] buffer)
    {
        drive.Rewind();
        var r = drive.ReadBlock(buffer);
        if (r.Kind == TapeReadKind.EndOfTape)
            throw new TapeFormatException("tape.blank", $"cartridge {drive.Name} is blank (not labelled)");
        if (!r.IsBlock || !VolumeLabel.IsVolumeLabel(buffer.AsSpan(0, r.Length)))
            throw new TapeFormatException("tape.no_vol1", $"cartridge {drive.Name} does not start with an ANSI VOL1 label");
        return VolumeLabel.Parse(buffer.AsSpan(0, r.Length));
    }

    internal static (FileLabel1, FileLabel2) ParseHeaderGroup(ITapeDrive drive, List<byte[]> group)
    {
        var l1 = LabelGroupReader.Find(group, "HDR1")
            ?? throw new TapeFormatException("tape.no_hdr1", $"cartridge {drive.Name}: header group without HDR1 before block {drive.BlockPosition}");
        var l2 = LabelGroupReader.Find(group, "HDR2")
            ?? throw new TapeFormatException("tape.no_hdr2", $"cartridge {drive.Name}: header group without HDR2 before block {drive.BlockPosition}");
        return (FileLabel1.Parse(l1), FileLabel2.Parse(l2));
    }

    /// <summary>Reads the trailer group after a data file and checks it against the header and the blocks counted.</summary>
    internal static CartridgeFileInfo ReadTrailer(ITapeDrive drive, byte[] buffer, FileLabel1 h1, FileLabel2 h2, long blocks)
    {
        var group = LabelGroupReader.Read(drive, buffer, $"after the data of file {h1.FileSequence}");
        var l1 = LabelGroupReader.Find(group, "EOF1") ?? LabelGroupReader.Find(group, "EOV1")
            ?? throw new TapeFormatException("tape.no_trailer", $"cartridge {drive.Name}: file {h1.FileSequence} has no EOF1/EOV1 trailer");
        var t1 = FileLabel1.Parse(l1);
        string second = t1.Group == LabelGroup.EndOfFile ? "EOF2" : "EOV2";
        if (LabelGroupReader.Find(group, second) is null)
            throw new TapeFormatException("tape.no_trailer", $"cartridge {drive.Name}: file {h1.FileSequence} has {t1.Group.Prefix()}1 without {second}");
        if (t1.FileIdentifier != h1.FileIdentifier || t1.FileSequence != h1.FileSequence || t1.FileSection != h1.FileSection)
            throw new TapeFormatException("tape.trailer_mismatch",
                $"cartridge {drive.Name}: trailer of '{t1.FileIdentifier}' #{t1.FileSequence} does not match header '{h1.FileIdentifier}' #{h1.FileSequence}");
        if (t1.BlockCount != blocks % FileLabel1.BlockCountModulus)
            throw new TapeFormatException("tape.block_count",
                $"cartridge {drive.Name}: file {h1.FileSequence} ('{h1.FileIdentifier}') has {blocks} data blocks but its trailer records {t1.BlockCount}");
        return new CartridgeFileInfo(h1, h2, t1, blocks);
    }
}
