using Snapcat.Core.Jobs;

namespace Snapcat.Contracts.Server;

/// <summary>
/// <c>GET /v1/status?since=</c>, what <c>snapcat status</c> shows on one screen: every definition with its last
/// result and next run, the jobs running now, the jobs that failed (or were interrupted) and the runs the scheduler
/// missed since <see cref="Since"/>, each array the server knows, and the tape library. Read-only role.
/// </summary>
public sealed record ServerStatusDto(
    DateTimeOffset Time,
    DateTimeOffset Since,
    IReadOnlyList<DefinitionStatusDto> Definitions,
    IReadOnlyList<RunningJobDto> Running,
    IReadOnlyList<JobOutcomeDto> Failures,
    IReadOnlyList<ScheduleEventDto> Missed,
    IReadOnlyList<ArrayStatusDto> Arrays,
    TapeStatusDto? Tape,
    StateCopyStatusDto? StateCopy = null,
    DriftStatusDto? Drift = null);

/// <summary><see cref="NextRun"/> is null for a disabled definition or one run by hand only; <see cref="LastResult"/> is its newest finished job.</summary>
public sealed record DefinitionStatusDto(
    string Name, string Kind, string Host, string MountPoint, bool Enabled, string? Schedule, DateTimeOffset? NextRun, bool Running,
    JobOutcomeDto? LastResult);

/// <summary>A finished job as the job history holds it, without its log ('snapcat job log ID' prints that).</summary>
public sealed record JobOutcomeDto(
    string JobId, string Kind, string? Definition, string Description, JobState State, DateTimeOffset Created, DateTimeOffset? Finished,
    string? ErrorCode, string? ErrorMessage);

public sealed record RunningJobDto(
    string JobId, string Kind, string Description, JobState State, DateTimeOffset Created, long BytesDone, long BytesTotal,
    double? BytesPerSecond, double? EtaSeconds);

/// <summary>
/// One array of the server's configuration, from its volume list: <see cref="ProvisionedBytes"/> is the sum of the
/// volume sizes (snapshots included), <see cref="AllocatedBytes"/> what they occupy, <see cref="FreeBytes"/> the space
/// left on the array's data file system (GET /v1/array; null when the array could not read it).
/// </summary>
public sealed record ArrayStatusDto(
    string DeviceId, bool Reachable, string? Error, int Volumes, int Snapshots, long ProvisionedBytes, long AllocatedBytes, long? FreeBytes);

/// <summary>The server's tape library: cartridges by state, capacity and free space over all cartridges, backups that start on them.</summary>
public sealed record TapeStatusDto(
    string LibraryId, int Cartridges, int Empty, int Appendable, int Closed, int Damaged, long CapacityBytes, long FreeBytes, int Backups);
