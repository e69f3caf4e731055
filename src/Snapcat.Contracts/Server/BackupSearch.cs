namespace Snapcat.Contracts.Server;

/// <summary>
/// What a backup is, stored as its lower-case name in the <c>origin</c> column (names frozen by a test):
/// taken by a backup run, or a copy (of a volume, FIG. 19, or onto tape, FIG. 16). Since record version 2
/// the origin is in the volume information, so a rebuild restores it (issue 15.2).
/// <see cref="Rebuild"/> is only found in rows an older Snapcat rebuilt from records that did not say;
/// no new row gets it.
/// </summary>
public enum BackupOrigin
{
    Backup,
    Rebuild,
    Copy,
}

/// <summary>Catalog search; every criterion is optional and they combine with AND.</summary>
public sealed record BackupDataFilter
{
    public string? Host { get; init; }
    public string? MountPoint { get; init; }
    public string? Label { get; init; }
    public string? Kind { get; init; }
    public string? DeviceId { get; init; }
    public string? Definition { get; init; }
    public BackupOrigin? Origin { get; init; }
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    public int Limit { get; init; } = 100;
    public int Offset { get; init; }
}
