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

    /// <summary>The backup definition that made the backup (record version 2); null when unknown (a version 1 record).</summary>
    public string? Definition { get; init; }

    public DateTimeOffset Recorded { get; init; }

    /// <summary>Protected from prune and delete (migration 0006) — until <see cref="ProtectedUntil"/>, or indefinitely when that is null.</summary>
    public bool Protected { get; init; }
    public DateTimeOffset? ProtectedUntil { get; init; }

    /// <summary>
    /// The content digest root (<c>sha256:…</c> over 64 KiB chunks, Core.Integrity.ContentDigest; migration 0007); null until
    /// one is known (a mirror's comes with its copy, a snapshot's with its first verify).
    /// </summary>
    public string? Digest { get; init; }

    /// <summary>Whether the protection holds at <paramref name="now"/> (a date that has passed no longer protects).</summary>
    public bool IsProtectedAt(DateTimeOffset now) => Protected && (ProtectedUntil is null || ProtectedUntil > now);
}
