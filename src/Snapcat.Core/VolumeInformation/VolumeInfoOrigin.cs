namespace Snapcat.Core.VolumeInformation;

/// <summary>
/// How a backup volume came to exist (record version 2, offset 341): taken by a backup run, made by a
/// volume copy (FIG. 19), or written to tape as a copy (FIG. 16). A rebuild reads it back, so pruning and
/// deletion treat a copy as a copy after the catalog was lost (issue 15.2). The numeric values are written
/// into records on arrays and tapes and must never change (frozen by a test); 0 is never written.
/// </summary>
public enum VolumeInfoOrigin : byte
{
    Backup = 1,
    Copy = 2,
    TapeCopy = 3,
}
