namespace Snapcat.Contracts.Array;

// The array's control API contract (JSON, camelCase). Shared by the daemon (Api/ArrayApi*.cs) and the
// HTTP client (Api/ArrayClient.cs) that the CLI, agents and servers use. Every route needs
// "Authorization: Bearer <token>". Errors: Snapcat.Core.Errors.ErrorBody with the status of its kind.
//
//   GET    /v1/array                                  -> ArrayInfo
//   GET    /v1/volumes                                -> VolumeDto[]             (?info=true adds volumeInfo)
//   POST   /v1/volumes            CreateVolumeRequest -> 201 VolumeDto
//   GET    /v1/volumes/{number}                       -> VolumeDto (with volumeInfo)
//   DELETE /v1/volumes/{number}?force=false           -> 204
//   POST   /v1/volumes/{number}/assignments  AssignRequest -> 201 AssignmentDto
//   DELETE /v1/ports/{port}/luns/{lun}                -> 204   (port = "host:port", URL-escaped)
//   GET    /v1/ports/{port}/luns/{lun}                -> LunDto  (which volume a port/LUN reaches; FIG. 8)
//   GET    /v1/volumes/{number}/info                  -> application/octet-stream, exactly 512 bytes; 404 when none
//   PUT    /v1/volumes/{number}/info   (octet-stream, exactly 512 bytes) -> 204
//   DELETE /v1/volumes/{number}/info                  -> 204
//   GET    /v1/volume-infos                           -> VolumeInfoListing      (all volumes, info base64; FIG. 15)
//   GET    /openapi/v1.json                           -> OpenAPI document (no token needed)
//
// Copy functions (data mirror, snapshots, volume copy; the description's first to third embodiments):
//   GET    /v1/volumes/{number}/mirrors               -> MirrorDestinationDto[]  (copy destination list, FIG. 7 column 375, with copy state)
//   POST   /v1/volumes/{number}/mirrors   MirrorAddRequest -> 201 MirrorDestinationDto   (same size; not itself a primary or snapshot)
//   DELETE /v1/volumes/{number}/mirrors/{secondary}   -> 204   (refused while a copy between them runs)
//   GET    /v1/ports/{port}/luns/{lun}/mirrors        -> CopyDestinationsDto   (FIG. 8: what the agent asks by port/LUN)
//   POST   /v1/copies          CopyOrder              -> 202 JobSnapshot  (mirror copy primary -> secondary, FIG. 10)
//   POST   /v1/restores        RestoreOrder           -> 202 JobSnapshot  (secondary -> its primary, or source rolled back to a snapshot; FIG. 12)
//   GET    /v1/jobs                                   -> JobSnapshot[]    (Snapcat.Core.Jobs)
//   GET    /v1/jobs/{id}                              -> JobSnapshot
//   DELETE /v1/jobs/{id}                              -> 202 (cancel requested)
//   POST   /v1/volumes/{number}/snapshots             -> 201 VolumeDto (the snapshot; its number assigned by the array, FIG. 18)
//   POST   /v1/ports/{port}/luns/{lun}/snapshots      -> 201 VolumeDto (the same, addressed the way an agent knows its volume)
//   GET    /v1/volumes/{number}/snapshots             -> VolumeDto[] (newest last)
//   (a snapshot is deleted with DELETE /v1/volumes/{snapshot}; assigned to ports read-only unless readOnly=false is asked and allowed)
//   POST   /v1/volume-copies   VolumeCopyOrder        -> 202 JobSnapshot  (FIG. 19: data and volume information, same or other array)

/// <param name="DataFreeBytes">Space of the data directory's file system available to the array (statvfs); null when it cannot be read.</param>
/// <param name="DataTotalBytes">Size of that file system; null when it cannot be read.</param>
public sealed record ArrayInfo(string DeviceId, string Version, IReadOnlyList<DataPortDto> DataPorts, int VolumeCount,
    long? DataFreeBytes = null, long? DataTotalBytes = null);

public sealed record DataPortDto(string Address);

public sealed record CreateVolumeRequest(string Size);

public sealed record VolumeDto(
    uint Number,
    long Size,
    long AllocatedBytes,
    string Kind,                       // "volume" or "snapshot"
    uint? SourceVolume,                // for a snapshot: the volume it was taken of
    DateTimeOffset Created,
    IReadOnlyList<AssignmentDto> Assignments,
    IReadOnlyList<uint> MirrorDestinations,
    IReadOnlyList<uint> Snapshots,
    bool HasVolumeInfo,
    string? VolumeInfo);               // base64 of the 512 bytes, when asked for

/// <summary>ReadOnly left out: read-write for a volume, read-only for a snapshot.</summary>
/// <summary>
/// <paramref name="AllowedIdentities"/>: when given, only NBD clients that proved one of these identities over
/// TLS (a PSK username or a certificate subject) may open the LUN; others are told it does not exist.
/// </summary>
public sealed record AssignRequest(string Port, uint Lun, bool? ReadOnly = null, IReadOnlyList<string>? AllowedIdentities = null);

/// <param name="AllowedIdentities">The TLS identities that may open the LUN; null when it is unmasked.</param>
public sealed record AssignmentDto(string Port, uint Lun, bool ReadOnly, IReadOnlyList<string>? AllowedIdentities = null);

public sealed record LunDto(string Port, uint Lun, bool ReadOnly, uint Volume, string DeviceId);

public sealed record VolumeInfoListing(string DeviceId, IReadOnlyList<VolumeInfoEntry> Volumes);

/// <param name="DigestRoot">The volume's content digest root (<c>sha256:…</c>), when the array keeps one for it (issue 13).</param>
public sealed record VolumeInfoEntry(uint Number, long Size, string Kind, string? VolumeInfo, string? DigestRoot = null);

// ---- content digests and verify (issue 13, docs/integrity.md) ----

/// <summary>
/// The content digest an array keeps beside a volume's information (Core.Integrity.ContentDigest: SHA-256 over 64 KiB
/// chunks and a root). <paramref name="Source"/>: <c>copy</c> (computed while a mirror or volume copy wrote the data),
/// <c>verify</c> (sealed by the first verify), <c>import</c> (given with an imported volume and checked).
/// </summary>
public sealed record VolumeDigestDto(uint Volume, string Algorithm, long Length, string Root, DateTimeOffset SealedAt, string Source);

/// <summary>
/// What an array-side verify found (the result of the job <c>POST /v1/volumes/{n}/verify</c> starts). <paramref name="Sealed"/>:
/// the volume had no digest, so this verify computed and kept one (nothing to compare with yet). <paramref name="Matched"/>:
/// the data's digest equals the kept one (true when sealed). <paramref name="DifferingOffsets"/>: byte offsets of the first
/// chunks that differ (at most 16).
/// </summary>
public sealed record VolumeVerifyResult(uint Volume, string Root, string? ExpectedRoot, bool Matched, bool Sealed, long Bytes,
    double Seconds, IReadOnlyList<long> DifferingOffsets);

// ---- copy functions ----

public sealed record MirrorAddRequest(uint Secondary);

/// <summary>One entry of a primary's copy destination list and the state of the last copy to it.</summary>
public sealed record MirrorDestinationDto(
    uint Primary,
    uint Secondary,
    string State,                      // "never", "copying", "complete", "failed"
    DateTimeOffset? LastCopyStarted,
    DateTimeOffset? LastCopyCompleted,
    long LastCopyBytes,
    bool NextCopyFull,                 // change tracking not trustworthy (first copy, crash): the next copy is a full one
    string? Detail);

/// <summary>FIG. 8 answer: the array's device ID, the volume at the port/LUN, and its copy destination list.</summary>
public sealed record CopyDestinationsDto(string DeviceId, string Port, uint Lun, uint Volume, IReadOnlyList<uint> CopyTo);

/// <summary>
/// A copy order names the primary either by volume number or by data port + LUN (as an agent knows
/// it), and the destination, which must be in the primary's copy destination list.
/// </summary>
public sealed record CopyOrder(uint? Primary, string? Port, uint? Lun, uint Secondary);

/// <summary>
/// Restore the backup volume <see cref="Source"/>: a mirror secondary is copied back onto its primary
/// (named explicitly when several primaries list it); a snapshot rolls its source back. Refused while
/// the primary has writers connected unless <see cref="Force"/>.
/// </summary>
public sealed record RestoreOrder(uint Source, uint? Primary = null, bool Force = false);

/// <summary>
/// FIG. 19: copy <see cref="Source"/> (data and volume information) either to <see cref="DestinationVolume"/>
/// on this array, or to <see cref="DestinationPort"/> + <see cref="DestinationLun"/> of the array
/// <see cref="DestinationDeviceId"/> (known from the configuration's peers).
/// </summary>
public sealed record VolumeCopyOrder(uint Source, uint? DestinationVolume = null, string? DestinationDeviceId = null, string? DestinationPort = null, uint? DestinationLun = null);
