namespace Snapcat.Array.Volumes;

/// <summary>What a delete removed from the management table, so the copy functions can drop the matching engine files.</summary>
public sealed record DeletedVolume(
    uint Number,
    string Kind,
    uint? SourceVolume,
    IReadOnlyList<uint> Snapshots,
    IReadOnlyList<uint> MirrorDestinations,
    IReadOnlyList<uint> MirrorPrimaries);
