using Snapcat.Tape.Backup;

namespace Snapcat.Server.Tape;

/// <summary>
/// Rebuilds catalog rows from the tapes alone (issue 6): scan every cartridge's labels, read each backup's
/// management information and trailer, and merge a row per complete backup (BackupDataStore.MergeAsync:
/// added / unchanged / updated, so running it twice changes nothing). A cartridge that fails its scan is
/// reported and skipped; backups on the other cartridges still import; a backup with a file on the damaged
/// cartridge is reported as incomplete. Data is not read back here (that is <c>verify</c>).
/// </summary>
public sealed class TapeRebuild(TapeLibrary library)
{
    public sealed record Found(IReadOnlyList<BackupDataRow> Rows, IReadOnlyList<RebuildItem> Invalid);

    /// <summary>The rows the tapes describe, without touching a catalog.</summary>
    public Task<Found> ScanAsync(CancellationToken ct = default) =>
        library.UseDriveAsync(writes: false, () =>
        {
            var scan = LibraryScan.Run(library.Cartridges, s => new FileInfo(library.PathOf(s)).Length, ct);
            var rows = new List<BackupDataRow>();
            var invalid = new List<RebuildItem>();
            foreach (var c in scan.Cartridges.Where(c => c.Damaged))
                invalid.Add(new RebuildItem(c.VolumeSerial, null, $"cartridge {c.VolumeSerial} skipped: {c.Error}"));
            var reader = new TapeBackupReader(library.Cartridges);
            foreach (var b in scan.Backups)
            {
                ct.ThrowIfCancellationRequested();
                if (b.Problem is not null)
                {
                    invalid.Add(new RebuildItem(b.MediaId, null, "incomplete backup: " + b.Problem));
                    continue;
                }
                try
                {
                    var management = reader.ReadManagement(b.Location);
                    var trailer = LibraryScan.ReadTrailer(library.Cartridges, b);
                    if (trailer.BackupId != management.BackupId)
                        throw new SnapcatException(ErrorKind.Invalid, "tape.trailer.backup",
                            $"its trailer belongs to backup {trailer.BackupId}, not {management.BackupId}");
                    rows.Add(TapeCatalogRows.RowFor(management, library.LibraryId, b.Location));
                }
                catch (SnapcatException e)
                {
                    invalid.Add(new RebuildItem(b.MediaId, null, $"{e.Message} ({e.Code})"));
                }
            }
            return new Found(rows, invalid);
        }, ct);

    /// <summary>Scans the tapes and merges their rows into the catalog.</summary>
    public async Task<TapeRebuildReport> RebuildAsync(BackupDataStore store, CancellationToken ct = default)
    {
        var found = await ScanAsync(ct).ConfigureAwait(false);
        var outcomes = await store.MergeAsync(found.Rows, ct).ConfigureAwait(false);
        var added = new List<RebuildItem>();
        var unchanged = new List<RebuildItem>();
        var updated = new List<RebuildItem>();
        for (int i = 0; i < found.Rows.Count; i++)
        {
            var item = new RebuildItem(found.Rows[i].MediaId, found.Rows[i].BackupId);
            (outcomes[i] switch
            {
                BackupDataStore.UpsertOutcome.Added => added,
                BackupDataStore.UpsertOutcome.Unchanged => unchanged,
                _ => updated,
            }).Add(item);
        }
        return new TapeRebuildReport(library.LibraryId, added, unchanged, updated, found.Invalid);
    }
}
