
namespace Snapcat.Contracts.Server;

/// <summary>
/// What a catalog rebuild found on each array (FIG. 15) and in the tape library (<see cref="Tapes"/>, null when
/// the tapes were not scanned), fsck-style: every problem listed. The totals count both. An array that could
/// not be read is a row with <see cref="ArrayRebuildReport.Error"/> set; the others and the tapes are still imported.
/// </summary>
public sealed record RebuildReport(IReadOnlyList<ArrayRebuildReport> Arrays, TapeRebuildReport? Tapes = null, StateRestoreReport? State = null)
{
    public int Added => Arrays.Sum(a => a.Added.Count) + (Tapes?.Added.Count ?? 0);
    public int Unchanged => Arrays.Sum(a => a.Unchanged.Count) + (Tapes?.Unchanged.Count ?? 0);
    public int Updated => Arrays.Sum(a => a.Updated.Count) + (Tapes?.Updated.Count ?? 0);
    public int Invalid => Arrays.Sum(a => a.Invalid.Count) + (Tapes?.Invalid.Count ?? 0);
    public int Orphans => Arrays.Sum(a => a.Orphans?.Count ?? 0);
    public int Unreadable => Arrays.Count(a => a.Error is not null);
}

/// <summary>
/// One array's part. <see cref="WithoutVolumeInfo"/>: ordinary volumes without a record (primaries, spare
/// secondaries) — normal. <see cref="Orphans"/>: snapshot volumes without a record — a backup run that died between
/// the snapshot and its record (issue 9.6); <c>snapcat catalog orphans --delete</c> removes them.
/// <see cref="Error"/>: the array could not be read (unreachable, wrong device ID); the lists are then empty.
/// </summary>
public sealed record ArrayRebuildReport(
    string DeviceId,
    int Volumes,
    IReadOnlyList<uint> Added,
    IReadOnlyList<uint> Unchanged,
    IReadOnlyList<uint> Updated,
    IReadOnlyList<InvalidVolumeInfo> Invalid,
    IReadOnlyList<uint> WithoutVolumeInfo,
    IReadOnlyList<string> CatalogRowsNotOnArray,
    IReadOnlyList<uint>? Orphans = null,
    string? Error = null)
{
    public static ArrayRebuildReport Unreadable(string deviceId, string error) => new(deviceId, 0, [], [], [], [], [], [], [], error);
}

public sealed record InvalidVolumeInfo(uint Volume, string Reason);
