using System.Text.Json.Nodes;

namespace Snapcat.Server.StateCopy;

/// <summary>
/// The server's configuration state as one self-describing document (docs/disaster-recovery.md): what the arrays' volume
/// information and the tapes' management information cannot carry. Written as JSON inside a <see cref="StateEnvelope"/>
/// into every array's catalog volume and onto tape; <c>snapcat catalog rebuild</c> restores the newest valid one.
/// </summary>
public sealed record StateDocument
{
    /// <summary>The document's own format (the envelope has its own version); a reader refuses a newer one.</summary>
    public const int CurrentFormat = 1;

    /// <summary>The most job summaries a copy keeps (newest first).</summary>
    public const int MaxJobs = 1000;

    public int Format { get; init; } = CurrentFormat;

    /// <summary>The server that wrote it (<c>server_state.server_id</c>, migration 0009).</summary>
    public required string ServerId { get; init; }

    /// <summary>Grows by one with every copy the server writes; the newest valid copy wins.</summary>
    public required long Generation { get; init; }

    public required DateTimeOffset Written { get; init; }

    /// <summary>The Snapcat version that wrote it (for messages only).</summary>
    public string? WrittenBy { get; init; }

    /// <summary>Where the catalog lived (e.g. "SQLite file …"), for the report only.</summary>
    public string? Catalog { get; init; }

    /// <summary>The backup number sequence's next value: a rebuilt server never hands out the number of a deleted backup.</summary>
    public long NextBackupId { get; init; }

    public IReadOnlyList<StateDefinition> Definitions { get; init; } = [];
    public IReadOnlyList<StateVolume> Volumes { get; init; } = [];
    public IReadOnlyList<StateBackup> Backups { get; init; } = [];
    public IReadOnlyList<StateJob> Jobs { get; init; } = [];
}

/// <summary>One row of the backup definition table (FIG. 5), every stored column.</summary>
public sealed record StateDefinition(
    string Name, string Host, string MountPoint, string Kind, string DeviceId, uint? DestinationVolume, string? PreHook, string? PostHook,
    bool PreOnly, string Label, string? Schedule, string TimeZone, int? KeepGenerations, string? Retention, string MissedRuns,
    DateTimeOffset? LastFire, DateTimeOffset Created, bool Enabled)
{
    public static StateDefinition From(BackupDefinition d) => new(d.Name, d.Host, d.MountPoint, d.Kind, d.DeviceId, d.DestinationVolume, d.PreHook,
        d.PostHook, d.PreOnly, d.Label, d.Schedule, d.TimeZone, d.KeepGenerations, Snapcat.Server.Retention.RetentionPolicy.ToJson(d.Retention), d.MissedRuns, d.LastFire,
        d.Created, d.Enabled);

    public BackupDefinition ToDefinition() => new()
    {
        Name = Name, Host = Host, MountPoint = MountPoint, Kind = Kind, DeviceId = DeviceId, DestinationVolume = DestinationVolume,
        PreHook = PreHook, PostHook = PostHook, PreOnly = PreOnly, Label = Label, Schedule = Schedule, TimeZone = TimeZone,
        KeepGenerations = KeepGenerations, Retention = Snapcat.Server.Retention.RetentionPolicy.FromJson(Retention), MissedRuns = MissedRuns,
        LastFire = LastFire, Created = Created, Enabled = Enabled,
    };
}

/// <summary>One entry of the backup volume table (FIG. 4).</summary>
public sealed record StateVolume(string Host, string MountPoint, string DeviceId, IReadOnlyList<uint> CopyTo);

/// <summary>
/// What a backup row holds beyond its volume information, keyed by where the backup is (device ID, media ID) and which
/// backup it is (backup ID): the row's number, origin and definition (a version 1 record carries none), when it was
/// recorded, its protection and its content digest (migration 0007).
/// </summary>
public sealed record StateBackup(
    string DeviceId, string MediaId, Guid BackupId, long Id, string Origin, string? Definition, DateTimeOffset Recorded, bool Protected,
    DateTimeOffset? ProtectedUntil, string? Digest);

/// <summary>A job of the history without its log (the last line of a failure is in its error).</summary>
public sealed record StateJob(
    string Id, string Kind, string? Definition, string Description, int State, DateTimeOffset Created, DateTimeOffset? Finished,
    string? ErrorCode, string? ErrorMessage, long BytesDone, long BytesTotal, JsonNode? Result);
