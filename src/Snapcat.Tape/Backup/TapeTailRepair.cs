using Snapcat.Tape.Cartridge;
using Snapcat.Tape.Drive;
using Snapcat.Tape.Labels;

namespace Snapcat.Tape.Backup;

/// <summary>What was cut from the end of one cartridge, and why.</summary>
/// <param name="KeptFiles">Files left on the cartridge (all complete, in order).</param>
/// <param name="Removed">What the cut took away: the identifiers of complete files of an interrupted backup, and a
/// description of the torn part.</param>
public sealed record TailCut(string VolumeSerial, string Reason, int KeptFiles, IReadOnlyList<string> Removed);

/// <summary>
/// Cuts what an interrupted writer left at the end of a cartridge (a process killed mid-write, a cancelled or
/// failed copy), so the library can append again and every complete backup stays complete (docs/tape-format.md,
/// "Torn and interrupted tails"):
/// <list type="number">
/// <item>a <b>torn tail</b> — the recording stops inside a chunk, a label group or a data file — is cut back to the
/// end of the last complete file, and the closing tape marks are written;</item>
/// <item>a trailing <b>interrupted backup</b> — its MGMT (section 1) on this cartridge, then at most its DATA, no
/// TRLR — is cut away too, but only when the cartridge still has room for the next file: a writer puts the next
/// file on another cartridge only when it does not fit, so with room left the missing file was never written.</item>
/// </list>
/// Damage inside the recording (a broken chunk chain, an unreadable label, a wrong block count) is never cut: the
/// cartridge stays as it is and the label scan reports it. A cartridge too short to hold its VOL1 (a crash while
/// labelling it) is labelled again with the serial its file name gives.
/// Must run only while no writer uses the cartridge (the library's append lock, or before the server serves).
/// </summary>
public static class TapeTailRepair
{
    private const int Vol1Bytes = 6 + 80, EmptyCartridgeBytes = Vol1Bytes + 2 * 6;

    /// <summary>Repairs one cartridge; null when there was nothing to cut.</summary>
    public static TailCut? Repair(ICartridgeLibrary library, string volumeSerial)
    {
        // The common case, a cartridge that ends cleanly with a complete backup, is settled read-only: no writable
        // mount (and no fsync on unmount) for every cartridge before every append.
        if (library.ImageBytes(volumeSerial) >= EmptyCartridgeBytes)
        {
            using var look = library.Mount(volumeSerial, writable: false);
            try
            {
                var quick = CartridgeTail.Walk(look);
                if (quick.Problem is null && InterruptedBackupStart(quick.CompleteFiles) == quick.CompleteFiles.Count)
                    return null;
            }
            catch (TapeFormatException)
            {
                // VOL1 unreadable: decided below, on the writable mount.
            }
        }
        using var drive = library.Mount(volumeSerial, writable: true);
        CartridgeWalk walk;
        try
        {
            walk = CartridgeTail.Walk(drive);
        }
        catch (TapeFormatException e) when (e.Code is "tape.blank" or "tape.truncated" && library.ImageBytes(volumeSerial) < EmptyCartridgeBytes)
        {
            CartridgeWriter.LabelNew(drive, new VolumeLabel { VolumeSerial = volumeSerial, Owner = library.Owner });
            return new TailCut(volumeSerial, $"the cartridge was cut off while it was labelled ({e.Code}); labelled it again, empty", 0,
                [$"{library.ImageBytes(volumeSerial)}-byte image without a complete VOL1 label"]);
        }
        if (walk.Volume.VolumeSerial != volumeSerial)
            return null; // a renamed file: the scan reports it, nothing here is ours to cut

        var removed = new List<string>();
        var reasons = new List<string>();
        int keep = walk.CompleteFiles.Count;
        if (walk.Problem is { } problem)
        {
            if (!walk.EndsTorn || !CartridgeTail.RestIsTornTail(drive, keep))
                return null;
            reasons.Add($"torn tail ({problem.Code}: {problem.Message})");
            removed.Add(keep == 0 ? "everything after VOL1" : $"the partial recording after file {walk.CompleteFiles[^1].FileSequence}");
            CartridgeTail.CutAfter(drive, keep);
        }

        int interrupted = InterruptedBackupStart(walk.CompleteFiles);
        if (interrupted < keep && HasRoomAtEnd(drive))
        {
            var files = walk.CompleteFiles.Skip(interrupted).ToList();
            reasons.Add($"backup {Stem(files[0].FileIdentifier)} has no TRLR file (its writer was interrupted)");
            removed.InsertRange(0, files.Select(f => $"file {f.FileSequence} {f.FileIdentifier} ({f.DataBlocks} blocks)"));
            CartridgeTail.CutAfter(drive, interrupted);
            keep = interrupted;
        }
        return reasons.Count == 0 ? null : new TailCut(volumeSerial, string.Join("; ", reasons), keep, removed);
    }

    /// <summary>Index of the MGMT file of a trailing backup without TRLR (MGMT, or MGMT DATA, all section 1 here and ended
    /// with EOF labels); <c>files.Count</c> when the cartridge does not end that way.</summary>
    private static int InterruptedBackupStart(IReadOnlyList<CartridgeFileInfo> files)
    {
        for (int back = 1; back <= 2 && back <= files.Count; back++)
        {
            int at = files.Count - back;
            var first = files[at];
            if (first.FileSection != 1 || !first.FileIdentifier.EndsWith(".MGMT", StringComparison.Ordinal))
                continue;
            string stem = Stem(first.FileIdentifier);
            bool tail = files.Skip(at).Select((f, i) => f.FileIdentifier == stem + (i == 0 ? ".MGMT" : ".DATA")
                && f.FileSection == 1 && !f.ContinuesOnNextVolume && f.FileSetIdentifier == first.FileSetIdentifier
                && f.FileSequence == first.FileSequence + i).All(ok => ok);
            return tail ? at : files.Count;
        }
        return files.Count;
    }

    private static string Stem(string identifier) => identifier[..identifier.LastIndexOf('.')];

    /// <summary>Whether the next file of a backup (labels and one data block) fits after the end of the recording.</summary>
    private static bool HasRoomAtEnd(ITapeDrive drive)
    {
        drive.SeekEndOfData();
        return drive.RemainingBytes is not { } left ||
            left >= CartridgeWriter.HeaderGroupBytes + 6 + TapeBackupWriter.DataBlockLength + CartridgeWriter.TrailerReserveBytes;
    }
}
