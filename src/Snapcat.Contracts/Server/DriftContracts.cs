namespace Snapcat.Contracts.Server;

// Drift detection (docs/drift.md): POST /v1/drift/reconcile (a job whose result is a DriftReport), GET /v1/drift/findings,
// POST /v1/drift/findings/{id}/fix and POST /v1/drift/fixes (every finding of one kind).

/// <summary>The kinds of finding, as they travel (lower case, underscores).</summary>
public static class DriftKinds
{
    /// <summary>(a) A catalog row whose volume (or cartridge file) is gone from its array.</summary>
    public const string VolumeGone = "volume_gone";
    /// <summary>(b) A volume carries a valid volume information record the catalog has no row for.</summary>
    public const string RecordNotInCatalog = "record_not_in_catalog";
    /// <summary>(c) The array's record differs from the copy in the catalog row.</summary>
    public const string RecordChanged = "record_changed";
    /// <summary>(d) A snapshot volume without volume information (an orphan of a failed backup run).</summary>
    public const string OrphanSnapshot = "orphan_snapshot";
    /// <summary>(e) A cartridge of the tape library that cannot be read, while catalog rows still point into it.</summary>
    public const string CartridgeDamaged = "cartridge_damaged";
    /// <summary>(f) The digest the array keeps for a volume differs from the catalog row's digest.</summary>
    public const string DigestDiffers = "digest_differs";

    public static readonly IReadOnlyList<string> All = [VolumeGone, RecordNotInCatalog, RecordChanged, OrphanSnapshot, CartridgeDamaged, DigestDiffers];

    public static bool IsKnown(string? kind) => kind is not null && All.Contains(kind, StringComparer.Ordinal);
}

/// <summary>
/// One disagreement between the catalog and an array or the tape library. <see cref="Id"/> is stable: derived from kind
/// and target, so the same disagreement found again keeps its ID and <see cref="FirstSeen"/>. <see cref="Catalog"/> and
/// <see cref="Storage"/> say what each side holds; <see cref="Fix"/> is the one command that resolves it.
/// </summary>
public sealed record DriftFindingDto(
    string Id, string Kind, string Target, string DeviceId, string? MediaId, long? BackupId,
    string Catalog, string Storage, string Fix, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

/// <summary>
/// What one reconcile found: every finding now, the IDs that are new since the last check and those that went away,
/// and the arrays (or the library) that could not be read — their earlier findings are kept, not cleared.
/// </summary>
public sealed record DriftReport(
    DateTimeOffset Checked, IReadOnlyList<DriftFindingDto> Findings, IReadOnlyList<string> New, IReadOnlyList<string> Cleared,
    IReadOnlyList<ArrayProblem> Unreadable);

/// <summary>
/// <see cref="Force"/>: drop the row of a protected backup too (kind volume_gone). <see cref="KeepCatalog"/>: for
/// record_changed, write the catalog's record back to the array instead of taking the array's into the row.
/// </summary>
public sealed record DriftFixRequest(bool Force = false, bool KeepCatalog = false);

/// <summary>Every current finding of <see cref="Kind"/> fixed, each re-checked first.</summary>
public sealed record DriftFixAllRequest(string Kind, bool Force = false, bool KeepCatalog = false);

/// <summary>
/// What a fix did. <see cref="Outcome"/>: <c>fixed</c> (the finding is gone), <c>started</c> (jobs were started, see
/// <see cref="Jobs"/>), <c>refused</c> (nothing done, see the message), or <c>stale</c> (the finding had changed or gone when
/// re-checked; nothing done). <see cref="Lost"/>: for a damaged cartridge, the backups on it that have no other copy.
/// </summary>
public sealed record DriftFixResult(string Id, string Kind, string Target, string Outcome, string Message,
    IReadOnlyList<string>? Jobs = null, IReadOnlyList<string>? Lost = null);

/// <summary>For <c>snapcat status</c>: findings now, by kind, and when the last reconcile ran (null: never).</summary>
public sealed record DriftStatusDto(int Findings, IReadOnlyDictionary<string, int> ByKind, DateTimeOffset? LastCheck);
