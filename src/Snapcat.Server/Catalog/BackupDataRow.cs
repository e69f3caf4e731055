namespace Snapcat.Server.Catalog;

/// <summary>One row of the backup data table (FIG. 6): one backup, where it is, and its volume information.</summary>
public sealed record BackupDataRow
{
    public long Id { get; init; }
    public required string Host { get; init; }
    public required string MountPoint { get; init; }
    public required string Kind { get; init; }
    public required string DeviceId { get; init; }
    public required string MediaId { get; init; }
    public required string Label { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required Guid BackupId { get; init; }
    public required byte[] VolumeInfo { get; init; }
    public required BackupOrigin Origin { get; init; }
    public DateTimeOffset Recorded { get; init; }
}

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
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    public int Limit { get; init; } = 100;
    public int Offset { get; init; }
}
