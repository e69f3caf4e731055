namespace Snapcat.Core.VolumeInformation;

/// <summary>
/// What produced a backup volume. The numeric values are written into volume information records on
/// arrays and tapes and must never change (frozen by a test).
/// </summary>
public enum BackupKind : byte
{
    Mirror = 1,
    Snapshot = 2,
    Copy = 3,
    Tape = 4,

    /// <summary>
    /// Not a backup: the backup server's catalog volume, which holds the server's state copy (definitions, backup volume
    /// table, catalog-only fields of the backup rows, job summaries; docs/disaster-recovery.md). Rebuilds, prunes, orphan
    /// listings, status and tape scans never take it for a backup.
    /// </summary>
    Catalog = 5,
}
