namespace Snapcat.Contracts.Server;

// The backup server's control API contract (JSON, camelCase), shared by the server (Snapcat.Server, Api/ServerApi*.cs)
// and its HTTP client (ServerClient.cs) that the CLI uses. Every route needs
// "Authorization: Bearer <token>". Errors: Snapcat.Core.Errors.ErrorBody with the status of its kind.
// Long operations are jobs (Snapcat.Core.Jobs.JobSnapshot), kept in the catalog's job history when finished.
//
//   GET    /v1/server                                  -> ServerInfo (with the reachability of every array and agent)
//   GET    /v1/definitions                             -> DefinitionDto[]   (with nextRun)
//   POST   /v1/definitions          DefinitionDto      -> 201 DefinitionDto (checked against the backup volume table, FIG. 4/5)
//   GET    /v1/definitions/{name}                      -> DefinitionDto
//   PUT    /v1/definitions/{name}   DefinitionDto      -> DefinitionDto     (keeps the enabled state)
//   PATCH  /v1/definitions/{name}   DefinitionPatch    -> DefinitionDto     (operator: the fields given; enable/disable)
//   DELETE /v1/definitions/{name}                      -> 204
//   POST   /v1/definitions/{name}/runs                 -> 202 JobSnapshot   (FIG. 9 mirror / FIG. 17 snapshot); 409 while one runs
//   GET    /v1/backup-volumes                          -> BackupVolumeDto[] (FIG. 4)
//   GET    /v1/backups?host=&mountPoint=&label=&kind=&deviceId=&definition=&from=&to=&limit=&offset=  -> BackupDto[] (FIG. 6, newest first)
//   GET    /v1/backups/{id}                            -> BackupDto
//   POST   /v1/backups/{id}/restores   RestoreRequest  -> 202 JobSnapshot   (FIG. 12 volume / FIG. 13 files / tape to deviceId+volume; tape files via a scratch volume)
//   DELETE /v1/backups/{id}                            -> 202 JobSnapshot   (FIG. 14)
//   POST   /v1/backups/{id}/copies     CopyRequest     -> 202 JobSnapshot   (FIG. 19)
//   POST   /v1/backups/{id}/tape-copies TapeCopyRequest -> 202 JobSnapshot  (FIG. 16; move = copy, verify, delete the disk backup)
//   POST   /v1/backups/{id}/verifications              -> 202 JobSnapshot   (a tape backup read back, length and CRC-32C checked)
//   POST   /v1/catalog/rebuilds        RebuildRequest  -> 202 JobSnapshot; result RebuildReport (FIG. 15, arrays and tapes)
//   GET    /v1/catalog/orphans?deviceId=               -> OrphanReport (snapshot volumes without volume information)
//   POST   /v1/catalog/orphans/deletions OrphanRequest -> OrphanReport (deletes them; 409 orphans.backup_running while a backup runs)
//   GET    /v1/tape/cartridges                         -> CartridgeSummary[] (400 tape.no_library without a library)
//   GET    /v1/jobs?limit=                             -> JobSnapshot[]     (running and history, newest first)
//   GET    /v1/jobs/{id}                               -> JobSnapshot
//   DELETE /v1/jobs/{id}                               -> 202 (cancel requested)
//   GET    /v1/jobs/{id}/events                        -> text/event-stream of JobSnapshot, until the job ends (Api/JobEventStream.cs)
//   GET    /v1/schedule-events                         -> ScheduleEventDto[]
//   GET    /v1/status?since=                           -> ServerStatusDto   (one screen: definitions, running jobs, failures, arrays, tapes)
//   POST   /v1/prune and /v1/backups/{id}/protection: see RetentionContracts.cs
//   GET    /openapi/v1.json                            -> OpenAPI document (no token needed)

/// <summary><see cref="Reachability"/>: each array and agent of the configuration, asked when the info was asked for.</summary>
public sealed record ServerInfo(string Version, string Catalog, IReadOnlyList<string> Hosts, IReadOnlyList<string> Arrays, int Definitions, long Backups,
    IReadOnlyList<PeerStatusDto>? Reachability = null);

/// <summary>Kind "array" (name = device ID) or "agent" (name = host); <see cref="Error"/> says why it is not reachable.</summary>
public sealed record PeerStatusDto(string Kind, string Name, string? Url, bool Reachable, string? Error, string? Detail);

public sealed record DefinitionDto
{
    public required string Name { get; init; }
    public required string Host { get; init; }
    public required string MountPoint { get; init; }
    public required string Kind { get; init; }
    public required string DeviceId { get; init; }
    public uint? DestinationVolume { get; init; }
    public string? PreHook { get; init; }
    public string? PostHook { get; init; }
    /// <summary>A preprocess without a postprocess, on purpose (issue 15.3); refused otherwise.</summary>
    public bool? PreOnly { get; init; }
    public required string Label { get; init; }
    public string? Schedule { get; init; }
    public string? TimeZone { get; init; }
    public int? KeepGenerations { get; init; }
    /// <summary>Time-based retention (RetentionContracts.cs); <see cref="KeepGenerations"/> is the older spelling of its keep-last.</summary>
    public RetentionDto? Retention { get; init; }
    public string? MissedRuns { get; init; }
    public DateTimeOffset? LastFire { get; init; }
    public DateTimeOffset? Created { get; init; }
    public DateTimeOffset? NextRun { get; init; }
    public bool Running { get; init; }
    /// <summary>False: the scheduler does not fire it (NextRun is null); null in a request: enabled (create) or unchanged (PUT).</summary>
    public bool? Enabled { get; init; }
}

public sealed record BackupVolumeDto(string Host, string MountPoint, string DeviceId, IReadOnlyList<uint> CopyTo);

public sealed record BackupDto(
    long Id, string Host, string MountPoint, string Kind, string DeviceId, string MediaId, string Label,
    DateTimeOffset Timestamp, Guid BackupId, string Origin, DateTimeOffset Recorded, string VolumeInfo, string? Definition = null,
    bool Protected = false, DateTimeOffset? ProtectedUntil = null, string? Digest = null);

/// <summary>
/// No <see cref="Files"/>: restore the whole volume onto its primary (FIG. 12); with files: copy them (FIG. 13).
/// A backup on tape is restored into volume <see cref="Volume"/> of array <see cref="DeviceId"/> through the
/// agent's write stream; without them, onto the backup's source volume (its volume information), which needs
/// <see cref="Force"/> because it overwrites the live volume.
/// </summary>
public sealed record RestoreRequest(IReadOnlyList<string>? Files = null, string? Destination = null, string? PreHook = null, string? PostHook = null, bool Force = false,
    string? DeviceId = null, uint? Volume = null);

/// <summary>Copy a disk backup to the tape library (FIG. 16); <see cref="Move"/>: verify the tape copy, then delete the disk backup (FIG. 14).</summary>
public sealed record TapeCopyRequest(bool Move = false);

/// <summary>To <see cref="Volume"/> of the same array, or to <see cref="Port"/>+<see cref="Lun"/> of the array <see cref="DeviceId"/>.</summary>
public sealed record CopyRequest(uint? Volume = null, string? DeviceId = null, string? Port = null, uint? Lun = null);

/// <summary>
/// No device IDs: every array of the configuration. <see cref="Tapes"/>: also scan the tape library; null means
/// yes when a library is configured and no device IDs were named.
/// </summary>
public sealed record RebuildRequest(IReadOnlyList<string>? DeviceIds = null, bool? Tapes = null, bool? State = null, string? FromServer = null);

public sealed record ScheduleEventDto(DateTimeOffset Time, string Definition, string What, string Detail);
