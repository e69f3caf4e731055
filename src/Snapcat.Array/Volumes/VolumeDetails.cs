using Snapcat.Array.ManagementTable;

namespace Snapcat.Array.Volumes;

/// <summary>One volume's row of the management table with its relations, as the API shows it.</summary>
public sealed record VolumeDetails(
    uint Number,
    long Size,
    long AllocatedBytes,
    string Kind,
    uint? SourceVolume,
    DateTimeOffset Created,
    IReadOnlyList<AssignmentRecord> Assignments,
    IReadOnlyList<uint> MirrorDestinations,
    IReadOnlyList<uint> Snapshots,
    bool HasVolumeInfo);
