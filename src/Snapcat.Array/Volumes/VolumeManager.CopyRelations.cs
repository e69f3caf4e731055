using Snapcat.Array.ManagementTable;

namespace Snapcat.Array.Volumes;

// The management table's side of the copy functions: snapshot rows (kind 'snapshot', source_number =
// the source; the source's snapshot list of FIG. 7 column 375 in snapshot mode) and the copy
// destination list (column 375, mirror mode). The engines' files are the copy functions' business
// (CopyFunctions/); these methods only check and change rows, each in one transaction.
public sealed partial class VolumeManager
{
    public VolumeRecord GetRecord(uint number) => _table.Read(t => t.GetVolume(number)) ?? throw NotFound(number);

    /// <summary>
    /// Assigns the snapshot a volume number and commits its row. The row comes first so the number
    /// is taken atomically with every other create; the engine's snapshot follows. A crash between
    /// leaves a row without an engine snapshot, which the copy functions remove at the next start
    /// (the API never acknowledged it).
    /// </summary>
    public VolumeRecord InsertSnapshotRow(uint source)
    {
        return _table.Transaction(tx =>
        {
            var src = _table.GetVolume(source, tx) ?? throw NotFound(source);
            if (src.Kind == VolumeKinds.Snapshot)
                Throw.Invalid("snapshot.of_snapshot",
                    $"volume {source} is itself a snapshot (of volume {src.SourceNumber}); snapshots of snapshots are not supported — snapshot volume {src.SourceNumber} instead");
            var rec = new VolumeRecord
            {
                Number = _table.NextVolumeNumber(tx),
                Size = src.Size,
                Kind = VolumeKinds.Snapshot,
                SourceNumber = source,
                Created = VolumeTable.FormatTime(DateTimeOffset.UtcNow),
            };
            _table.InsertVolume(rec, tx);
            return rec;
        });
    }

    /// <summary>Removes a snapshot row and its assignments (an engine create that failed, or start-up repair).</summary>
    public void DeleteSnapshotRow(uint number) =>
        _table.Transaction(tx =>
        {
            if (_table.GetVolume(number, tx) is { Kind: VolumeKinds.Snapshot }) _table.DeleteVolume(number, tx);
            return 0;
        });

    public IReadOnlyList<VolumeRecord> ListRecords() => _table.Read(t => t.ListVolumes());

    public IReadOnlyList<(uint Primary, uint Secondary)> ListMirrorPairs() =>
        _table.Read(t => t.ListMirrorPairs()).Select(p => (checked((uint)p.PrimaryVolume), checked((uint)p.SecondaryVolume))).ToList();

    public IReadOnlyList<uint> MirrorDestinationsOf(uint primary) =>
        _table.Read(t => t.GetVolume(primary) is null ? throw NotFound(primary) : t.MirrorDestinationsOf(primary))
            .Select(x => checked((uint)x)).ToList();

    public IReadOnlyList<uint> MirrorPrimariesOf(uint secondary) =>
        _table.Read(t => t.MirrorPrimariesOf(secondary)).Select(x => checked((uint)x)).ToList();

    /// <summary>
    /// Checks that <paramref name="secondary"/> may join <paramref name="primary"/>'s copy destination
    /// list: both plain volumes, not the same, same size, no chains (a secondary is not itself a
    /// primary, a primary not itself a secondary), not already listed.
    /// </summary>
    public void CheckMirrorDestination(uint primary, uint secondary)
    {
        _table.Read(t =>
        {
            var p = t.GetVolume(primary) ?? throw NotFound(primary);
            if (secondary == primary)
                Throw.Invalid("mirror.self", $"volume {primary} cannot be its own copy destination");
            var s = t.GetVolume(secondary) ?? throw new SnapcatException(ErrorKind.NotFound, "volume.not_found",
                $"copy destination volume {secondary} does not exist on this array");
            if (p.Kind == VolumeKinds.Snapshot)
                Throw.Invalid("mirror.snapshot", $"volume {primary} is a snapshot; a snapshot cannot be a mirror primary");
            if (s.Kind == VolumeKinds.Snapshot)
                Throw.Invalid("mirror.snapshot", $"volume {secondary} is a snapshot (read-only); it cannot be a copy destination");
            if (p.Size != s.Size)
                Throw.Invalid("mirror.size_mismatch",
                    $"volume {secondary} has {s.Size} bytes but volume {primary} has {p.Size}; a copy destination must be the same size as its primary");
            if (t.MirrorDestinationsOf(primary).Contains(secondary))
                Throw.Conflict("mirror.exists", $"volume {secondary} is already in the copy destination list of volume {primary}");
            if (t.MirrorDestinationsOf(secondary).Count > 0)
                Throw.Invalid("mirror.chain", $"volume {secondary} is itself a mirror primary; chained mirrors are not supported");
            if (t.MirrorPrimariesOf(primary) is { Count: > 0 } ps)
                Throw.Invalid("mirror.chain", $"volume {primary} is a copy destination of volume(s) {string.Join(", ", ps)}; chained mirrors are not supported");
            return 0;
        });
    }

    public void InsertMirrorDestinationRow(uint primary, uint secondary) =>
        _table.Transaction(tx => { _table.InsertMirrorDestination(primary, secondary, tx); return 0; });

    public bool DeleteMirrorDestinationRow(uint primary, uint secondary) =>
        _table.Transaction(tx => _table.DeleteMirrorDestination(primary, secondary, tx)) > 0;
}
