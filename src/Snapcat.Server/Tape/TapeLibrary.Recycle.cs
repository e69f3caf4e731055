using Snapcat.Tape.Backup;
using Snapcat.Tape.Cartridge;
using Snapcat.Tape.Labels;

namespace Snapcat.Server.Tape;

public sealed partial class TapeLibrary
{
    /// <summary>
    /// Recycles a cartridge whose backups have all expired or been deleted (issue 15.9): it is labelled again, empty
    /// (<c>VOL1 TM TM</c>, same serial), and takes new copies like any labelled cartridge. Refused
    /// (<c>tape.recycle.in_catalog</c>) while the catalog lists a backup with a file on it — one that starts there, or
    /// one that starts on another cartridge and continues onto it. The check and the relabel run under the append lock,
    /// so no copy can start writing to the cartridge in between. Recorded in the tail-cut log like any cut.
    /// </summary>
    public Task<CartridgeSummary> RecycleAsync(string volumeSerial, BackupDataStore catalog, CancellationToken ct = default)
    {
        VolumeLabel.CheckSerial(volumeSerial);
        return UseDriveAsync(writes: true, async () =>
        {
            if (!_directory.VolumeSerials().Contains(volumeSerial))
                Throw.NotFound("tape.cartridge_not_found", $"cartridge {volumeSerial} is not in tape library {LibraryId}");
            var scan = LibraryScan.Run(_cartridges, ImageBytes, ct);
            var onIt = scan.Backups.Where(b => b.Location.VolumeSerial == volumeSerial || b.Volumes.Contains(volumeSerial))
                .Select(b => b.MediaId).ToHashSet(StringComparer.Ordinal);
            var listed = new List<string>();
            for (int offset = 0; ; offset += 10_000)
            {
                var rows = await catalog.SearchAsync(new BackupDataFilter { DeviceId = LibraryId, Limit = 10_000, Offset = offset }, ct).ConfigureAwait(false);
                listed.AddRange(rows.Where(r => onIt.Contains(r.MediaId) || r.MediaId.StartsWith(volumeSerial + "/", StringComparison.Ordinal))
                    .Select(r => $"backup {r.Id} ({r.MediaId}, {r.Host}:{r.MountPoint} '{r.Label}')"));
                if (rows.Count < 10_000) break;
            }
            if (listed.Count > 0)
                Throw.Conflict("tape.recycle.in_catalog",
                    $"cartridge {volumeSerial} still holds {listed.Count} backup(s) the catalog lists: {string.Join("; ", listed.Take(10))}; delete them first");

            var files = scan.Cartridges.Single(c => c.VolumeSerial == volumeSerial).Info?.Files ?? [];
            long before = ImageBytes(volumeSerial);
            using (var drive = _cartridges.Mount(volumeSerial, writable: true))
            {
                // LabelNew rewrites VOL1 and ends the recording after it with TM TM; the tape mark write fsyncs the
                // truncated image, so the recycled state is durable before it is reported.
                CartridgeWriter.LabelNew(drive, new VolumeLabel { VolumeSerial = volumeSerial, Owner = _cartridges.Owner });
            }
            var entry = new TapeTailCutEntry(Clock.GetUtcNow(), volumeSerial, "recycled: no backup on it is in the catalog any more", 0,
                files.Select(f => $"file {f.FileSequence} {f.FileIdentifier} ({f.DataBlocks} blocks)").ToList(), before, ImageBytes(volumeSerial));
            AppendCutLog(entry);
            LogTailCut(_log, volumeSerial, before - entry.BytesAfter, 0, files.Count + " file(s)", entry.Reason);
            var after = LibraryScan.Run(_cartridges, ImageBytes, ct);
            var summary = Summarize(after.Cartridges.Single(c => c.VolumeSerial == volumeSerial), after, new TapeBackupReader(_cartridges));
            return summary with { TailCuts = CutsOf(volumeSerial, ReadCutLog()) };
        }, ct);
    }
}
