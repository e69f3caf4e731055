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
}
