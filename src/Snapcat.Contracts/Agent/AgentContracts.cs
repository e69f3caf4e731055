
namespace Snapcat.Contracts.Agent;

// The agent's control API contract (JSON, camelCase), shared by the agent daemon (Api/AgentApi*.cs)
// and the HTTP client the backup server uses (Api/AgentClient.cs). Every route needs
// "Authorization: Bearer <token>". Errors: Snapcat.Core.Errors.ErrorBody with the status of its kind.
// Long operations are jobs (Snapcat.Core.Jobs.JobSnapshot); their result is in JobSnapshot.Result.
//
//   GET    /v1/agent                                   -> AgentInfo
//   GET    /v1/inquiry?port=HOST:PORT&lun=N            -> InquiryDto                 (Inquiry over NBD)
//   GET    /v1/copy-destinations?mountPoint=/data      -> CopyDestinationListDto     (FIG. 8)
//   POST   /v1/backups            BackupOrder          -> 202 JobSnapshot; result BackupResultDto   (FIG. 10 mirror, FIG. 18 snapshot)
//   POST   /v1/volume-restores    VolumeRestoreOrder   -> 202 JobSnapshot             (FIG. 12)
//   POST   /v1/file-restores      FileRestoreOrder     -> 202 JobSnapshot; result FileRestoreResultDto (FIG. 13)
//   POST   /v1/backup-deletions   BackupDeletionOrder  -> 202 JobSnapshot             (FIG. 14)
//   GET    /v1/jobs                                    -> JobSnapshot[]
//   GET    /v1/jobs/{id}                               -> JobSnapshot
//   DELETE /v1/jobs/{id}                               -> 202 (cancel requested; a started preprocess's postprocess still runs)
//   GET    /v1/streams/volume?deviceId=D&volume=N      -> application/octet-stream, Content-Length = volume size
//                                                         (a backup volume read out over NBD through a restore port; FIG. 16 tape copy)
//   PUT    /v1/streams/volume?deviceId=D&volume=N      body application/octet-stream, exactly the volume size -> 204
//                                                         (data written into a volume through a restore port; tape restore)
//   GET    /openapi/v1.json                            -> OpenAPI document (no token needed)

public sealed record AgentInfo(
    string Host,
    string Version,
    IReadOnlyList<ProtectedVolumeDto> Volumes,
    IReadOnlyList<RestorePortDto> RestorePorts,
    IReadOnlyList<string> Hooks,
    bool AllowRawCommands,
    IReadOnlyList<string> Arrays);

/// <summary>One row of the port correspondence table (FIG. 3).</summary>
public sealed record ProtectedVolumeDto(string MountPoint, string DeviceFile, string Port, uint Lun);

public sealed record RestorePortDto(string Port, uint Lun, string MountDirectory, bool InUse);

/// <summary>What the array answered to the Inquiry of a port/LUN.</summary>
public sealed record InquiryDto(string Port, uint Lun, string DeviceId, uint Volume, long Size, string Description);

/// <summary>FIG. 8: the copy-to volume list of a mount point, as the backup volume table (FIG. 4) stores it.</summary>
public sealed record CopyDestinationListDto(string Host, string MountPoint, string DeviceId, uint Volume, IReadOnlyList<uint> CopyTo);

// Pre/postprocesses are Snapcat.Agent.Hooks.HookRef: {"name":"freeze"} names a hook configured on the
// agent; {"rawCommand":"…"} is accepted only when the agent's own configuration sets allowRawCommands.

public sealed record BackupOrder(
    string Kind,                 // "mirror" or "snapshot"
    string MountPoint,
    string Label,
    uint? DestinationVolume = null,   // mirror: the secondary, which must be in the copy destination list
    HookRef? PreProcess = null,
    HookRef? PostProcess = null,
    string? Definition = null,   // the backup definition's name: logs, and the volume information (record v2)
    long? CatalogNumber = null); // the backup ID the server allocated for this backup; written into the record (v2)

/// <summary>Job result of a backup: where it is and the volume information the array recorded there.</summary>
public sealed record BackupResultDto(
    string Kind,
    string DeviceId,
    uint Volume,                 // the backup volume: the mirror secondary or the new snapshot's number
    uint SourceVolume,
    DateTimeOffset Timestamp,
    string Label,
    string VolumeInfo);          // base64 of the 512 bytes

public sealed record VolumeRestoreOrder(
    string MountPoint,
    uint BackupVolume,
    HookRef? PreProcess = null,  // e.g. unmount
    HookRef? PostProcess = null, // e.g. fsck and mount
    bool Force = false);

public sealed record FileRestoreOrder(
    string DeviceId,
    uint BackupVolume,
    IReadOnlyList<string> Paths, // paths or globs relative to the backed-up file system's root
    string? MountPoint = null,   // the original mount point; the default destination
    string? Destination = null,  // another directory instead of the original mount point
    HookRef? PreProcess = null,  // run right before the files are copied (e.g. stop the application)
    HookRef? PostProcess = null); // run after the copy; runs whenever the preprocess ran

public sealed record FileRestoreResultDto(string Destination, IReadOnlyList<string> Copied, long Bytes);

public sealed record BackupDeletionOrder(string DeviceId, uint Volume, bool IsSnapshot);

/// <summary>
/// Stable beginnings of agent job log lines that a server acts on. A mirror backup logs
/// <see cref="CopyStarted"/> once the array has begun the copy (its point in time is taken): from then
/// on the destination is being overwritten, so its old catalog rows no longer describe it (issue 15.5).
/// </summary>
public static class AgentJobMarkers
{
    public const string CopyStarted = "copy started:";

    public static bool HasCopyStarted(Snapcat.Core.Jobs.JobSnapshot job) =>
        job.Log.Any(l => l.Message.StartsWith(CopyStarted, StringComparison.Ordinal));
}
