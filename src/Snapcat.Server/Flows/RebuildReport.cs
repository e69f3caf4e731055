using Snapcat.Server.Tape;

namespace Snapcat.Server.Flows;

/// <summary>
/// What a catalog rebuild found on each array (FIG. 15) and in the tape library (<see cref="Tapes"/>, null when
/// the tapes were not scanned), fsck-style: every problem listed. The totals count both.
/// </summary>
public sealed record RebuildReport(IReadOnlyList<ArrayRebuildReport> Arrays, TapeRebuildReport? Tapes = null)
{
    public int Added => Arrays.Sum(a => a.Added.Count) + (Tapes?.Added.Count ?? 0);
    public int Unchanged => Arrays.Sum(a => a.Unchanged.Count) + (Tapes?.Unchanged.Count ?? 0);
    public int Updated => Arrays.Sum(a => a.Updated.Count) + (Tapes?.Updated.Count ?? 0);
    public int Invalid => Arrays.Sum(a => a.Invalid.Count) + (Tapes?.Invalid.Count ?? 0);
}

public sealed record ArrayRebuildReport(
    string DeviceId,
    int Volumes,
    IReadOnlyList<uint> Added,
    IReadOnlyList<uint> Unchanged,
    IReadOnlyList<uint> Updated,
    IReadOnlyList<InvalidVolumeInfo> Invalid,
    IReadOnlyList<uint> WithoutVolumeInfo,
    IReadOnlyList<string> CatalogRowsNotOnArray);

public sealed record InvalidVolumeInfo(uint Volume, string Reason);
