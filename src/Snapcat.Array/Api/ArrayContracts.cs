namespace Snapcat.Array.Api;

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

public sealed record ArrayInfo(string DeviceId, string Version, IReadOnlyList<DataPortDto> DataPorts, int VolumeCount);

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

public sealed record AssignRequest(string Port, uint Lun, bool ReadOnly = false);

public sealed record AssignmentDto(string Port, uint Lun, bool ReadOnly);

public sealed record LunDto(string Port, uint Lun, bool ReadOnly, uint Volume, string DeviceId);

public sealed record VolumeInfoListing(string DeviceId, IReadOnlyList<VolumeInfoEntry> Volumes);

public sealed record VolumeInfoEntry(uint Number, long Size, string Kind, string? VolumeInfo);
