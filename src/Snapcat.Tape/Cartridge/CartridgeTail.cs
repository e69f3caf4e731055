using Snapcat.Tape.Drive;
using Snapcat.Tape.Labels;

namespace Snapcat.Tape.Cartridge;

/// <summary>What a tolerant label walk found: the complete files from the load point on, and the problem that
/// stopped the walk (null when the cartridge ends cleanly with its double tape mark).</summary>
public sealed record CartridgeWalk(VolumeLabel Volume, IReadOnlyList<CartridgeFileInfo> CompleteFiles, TapeFormatException? Problem)
{
    /// <summary>
    /// The walk ended because the recording stops in the middle of something (a chunk, a label group, a data
    /// file): what a writer killed mid-write leaves. Any other problem (a broken chain, a bad label, a block count
    /// that does not match) is damage inside the recording, which is reported and never cut away.
    /// </summary>
    public bool EndsTorn => Problem?.Code is "tape.truncated" or "tape.unterminated" or "tape.end_of_tape";
}

/// <summary>
/// Cutting a cartridge back to its first N complete files (specs/tape.md §d "File structure on the tape"):
/// the image is truncated right after the trailer group of file N (after VOL1 when N = 0) and the closing tape
/// mark(s) are written, so the cartridge ends <c>… EOF1 EOF2 TM TM</c> (or <c>VOL1 TM TM</c>) again.
/// Durability: the truncation and the new tape marks reach stable storage before this returns — the tape mark
/// write is the drive's fsync point, and fsync covers the new file size.
/// </summary>
public static class CartridgeTail
{
    /// <summary>Scans like <see cref="CartridgeScanner.Scan"/> but keeps the files that are complete up to the first problem.
    /// VOL1 itself must be readable (a problem there is thrown).</summary>
    public static CartridgeWalk Walk(ITapeDrive drive)
    {
        var buffer = new byte[ushort.MaxValue];
        var volume = CartridgeScanner.ReadVolumeLabel(drive, buffer);
        var files = new List<CartridgeFileInfo>();
        try
        {
            var group = LabelGroupReader.Read(drive, buffer, "after VOL1");
            while (group.Count > 0)
            {
                if (files.Count > 0 && files[^1].ContinuesOnNextVolume)
                    throw new TapeFormatException("tape.after_eov", $"cartridge {drive.Name} records more files after an end-of-volume trailer");
                var (h1, h2) = CartridgeScanner.ParseHeaderGroup(drive, group);
                long blocks = drive.SpaceFilesForward(1);
                files.Add(CartridgeScanner.ReadTrailer(drive, buffer, h1, h2, blocks));
                group = LabelGroupReader.Read(drive, buffer, $"after file {h1.FileSequence}");
            }
            return new CartridgeWalk(volume, files, null);
        }
        catch (TapeFormatException e)
        {
            return new CartridgeWalk(volume, files, e);
        }
    }

    /// <summary>
    /// Whether everything after the first <paramref name="keepFiles"/> files is an intact chunk chain that runs
    /// into the end of the image (a torn tail), as opposed to damage followed by more recording: only then may the
    /// rest be cut. Spaces over the chunks without reading their data.
    /// </summary>
    public static bool RestIsTornTail(ITapeDrive drive, int keepFiles)
    {
        PositionAfter(drive, keepFiles);
        try
        {
            drive.SpaceFilesForward(int.MaxValue);
            return false; // unreachable in practice: no recording has int.MaxValue tape marks
        }
        catch (TapeFormatException e) when (e.Code is "tape.end_of_tape" or "tape.truncated")
        {
            return true;
        }
        catch (TapeFormatException)
        {
            return false;
        }
    }

    /// <summary>Truncates the cartridge after its first <paramref name="keepFiles"/> files and writes the closing tape marks.</summary>
    public static void CutAfter(ITapeDrive drive, int keepFiles)
    {
        PositionAfter(drive, keepFiles);
        // After VOL1 the recording needs both tape marks; after a trailer group its own tape mark is already
        // there and one more makes the double tape mark that ends the data.
        drive.WriteTapeMark();
        if (keepFiles == 0)
            drive.WriteTapeMark();
    }

    /// <summary>Positions after the trailer group (its tape mark included) of the <paramref name="files"/>-th file, or after VOL1.</summary>
    private static void PositionAfter(ITapeDrive drive, int files)
    {
        var buffer = new byte[ushort.MaxValue];
        CartridgeScanner.ReadVolumeLabel(drive, buffer);
        for (int i = 0; i < files; i++)
        {
            var group = LabelGroupReader.Read(drive, buffer, $"before file {i + 1}");
            var (h1, h2) = CartridgeScanner.ParseHeaderGroup(drive, group);
            long blocks = drive.SpaceFilesForward(1);
            CartridgeScanner.ReadTrailer(drive, buffer, h1, h2, blocks);
        }
    }
}
