namespace Snapcat.Contracts.Server;

// Orphan snapshots (issue 9.6): snapshot volumes without volume information, found and deleted by
// GET /v1/catalog/orphans and POST /v1/catalog/orphans/deletions.

/// <summary>No device IDs: every array of the configuration. <see cref="Delete"/>: delete the orphans found.</summary>
public sealed record OrphanRequest(IReadOnlyList<string>? DeviceIds = null, bool Delete = false);

/// <summary><see cref="Orphans"/>: found and left (all of them unless deleting); <see cref="Deleted"/>: deleted now.</summary>
public sealed record OrphanReport(IReadOnlyList<OrphanSnapshot> Orphans, IReadOnlyList<OrphanSnapshot> Deleted, IReadOnlyList<ArrayProblem> Unreadable);

public sealed record OrphanSnapshot(string DeviceId, uint Volume, uint? SourceVolume, DateTimeOffset Created, long Size);

public sealed record ArrayProblem(string DeviceId, string Error);
