namespace Snapcat.Server.Flows;

/// <summary>What a catalog rebuild found on each array (FIG. 15), fsck-style: every problem listed.</summary>
public sealed record RebuildReport(IReadOnlyList<ArrayRebuildReport> Arrays)
{
    public int Added => Arrays.Sum(a => a.Added.Count);
    public int Unchanged => Arrays.Sum(a => a.Unchanged.Count);
    public int Updated => Arrays.Sum(a => a.Updated.Count);
    public int Invalid => Arrays.Sum(a => a.Invalid.Count);
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
