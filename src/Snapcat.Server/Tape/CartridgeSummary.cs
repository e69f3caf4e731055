namespace Snapcat.Server.Tape;

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
