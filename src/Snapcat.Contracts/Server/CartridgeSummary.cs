namespace Snapcat.Contracts.Server;

/// <summary>
/// A cartridge in the listing. State: <c>empty</c> (labelled, no files), <c>appendable</c>, <c>closed</c>
/// (its last file continues on another cartridge, nothing more can be written) or <c>damaged</c> (see Error).
/// TailCuts: what the library cut off its end after a crash or an interrupted copy (newest last).
/// </summary>
public sealed record CartridgeSummary(
    string VolumeSerial,
    string State,
    long ImageBytes,
    long CapacityBytes,
    long FreeBytes,
    IReadOnlyList<TapeBackupEntry> Backups,
    int ContinuedSections,
    string? Error,
    IReadOnlyList<TapeTailCutEntry>? TailCuts = null);

/// <summary>
/// A backup whose management information starts on the cartridge. Volumes lists every cartridge its files
/// occupy, in order. Problem is set when the backup is incomplete or its management information unreadable.
/// </summary>
public sealed record TapeBackupEntry(
    string MediaId,
    Guid? BackupId,
    string? Host,
    string? MountPoint,
    string? Label,
    DateTimeOffset? Timestamp,
    string? Kind,
    IReadOnlyList<string> Volumes,
    string? Problem);

/// <summary>
/// A cut the library made at the end of a cartridge (the tail repair of the server's tape library): when, what was kept, what was
/// removed and why, and the image size before and after. Kept in <c>tail-cuts.jsonl</c> in the library directory and
/// shown with the cartridge in the listing, so an administrator can see what a crash or a cancelled copy cost.
/// </summary>
public sealed record TapeTailCutEntry(
    DateTimeOffset At, string VolumeSerial, string Reason, int KeptFiles, IReadOnlyList<string> Removed, long BytesBefore, long BytesAfter);
