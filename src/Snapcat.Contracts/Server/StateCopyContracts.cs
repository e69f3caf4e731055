namespace Snapcat.Contracts.Server;

/// <summary>
/// The server's state copy (docs/disaster-recovery.md) as <c>snapcat status</c> shows it: the server's identity, the last
/// generation written and where, and the last failure (a failed refresh is retried; <see cref="Pending"/>: a change waits
/// for the next write).
/// </summary>
public sealed record StateCopyStatusDto(
    string ServerId,
    long Generation,
    DateTimeOffset? LastWritten,
    IReadOnlyList<string> Targets,
    string? LastError,
    DateTimeOffset? LastFailure,
    bool Pending,
    string? RestoredFrom = null,
    long? RestoredGeneration = null);

/// <summary>
/// What a rebuild restored from the newest valid state copy: which copy (<see cref="Source"/>, its generation and time,
/// the server it came from), every copy looked at (<see cref="Copies"/>, the unusable ones with their reason), and per part
/// what came from where. Null parts: no copy was found (<see cref="Problem"/> says why).
/// </summary>
public sealed record StateRestoreReport(
    string? Source,
    string? ServerId,
    long? Generation,
    DateTimeOffset? Written,
    IReadOnlyList<StateCopySeen> Copies,
    StatePartReport? Definitions,
    StatePartReport? BackupVolumes,
    StatePartReport? BackupRows,
    StatePartReport? Jobs,
    IReadOnlyList<string> DefinitionsKept,
    IReadOnlyList<string> Conflicts,
    string? Problem = null);

/// <summary>One state copy a rebuild looked at; <see cref="Reason"/> is set when it could not be used (damaged, foreign, older, another server's).</summary>
public sealed record StateCopySeen(string Source, string? ServerId, long? Generation, DateTimeOffset? Written, bool Used, string? Reason);

/// <summary>
/// One part of the restore: where it came from, rows restored from the copy, rows from the media's records only (the copy
/// did not name them), rows kept as the catalog had them, and conflicts (the medium and the copy disagree; the medium won).
/// </summary>
public sealed record StatePartReport(string From, int Restored, int FromRecordsOnly, int Kept, int Conflicts, int InCopyNotOnMedia = 0);
