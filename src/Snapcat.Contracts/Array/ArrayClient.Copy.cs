using Snapcat.Core.Jobs;

namespace Snapcat.Contracts.Array;

// The copy functions of the control API (data mirror, snapshots, volume copy; routes in ArrayContracts.cs).
// Copies, restores and volume copies run on the array as jobs: the call returns the job at once (202)
// and ControlApiClient.WaitForJobAsync polls it to its end.
public sealed partial class ArrayClient
{
    // ---- data mirror: copy destination lists (FIG. 7 column 375) ----

    public async Task<IReadOnlyList<MirrorDestinationDto>> ListMirrorsAsync(uint primary, CancellationToken ct = default) =>
        await SendAsync<MirrorDestinationDto[]>(HttpMethod.Get, $"v1/volumes/{N(primary)}/mirrors", null, ct).ConfigureAwait(false);

    public Task<MirrorDestinationDto> AddMirrorAsync(uint primary, uint secondary, CancellationToken ct = default) =>
        SendAsync<MirrorDestinationDto>(HttpMethod.Post, $"v1/volumes/{N(primary)}/mirrors",
            Body(new MirrorAddRequest(secondary)), ct);

    public Task RemoveMirrorAsync(uint primary, uint secondary, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"v1/volumes/{N(primary)}/mirrors/{N(secondary)}", null, ct);

    /// <summary>FIG. 8: the volume behind a port/LUN and its copy destination list, as an agent asks for it.</summary>
    public Task<CopyDestinationsDto> GetCopyDestinationsAsync(string port, uint lun, CancellationToken ct = default) =>
        SendAsync<CopyDestinationsDto>(HttpMethod.Get, PortLunPath(port, lun) + "/mirrors", null, ct);

    /// <summary>Starts a point-in-time mirror copy (FIG. 10); the answer is the job.</summary>
    public Task<JobSnapshot> StartCopyAsync(CopyOrder order, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/copies", Body(order), ct);

    /// <summary>Starts a restore (FIG. 12): a secondary back onto its primary, or a source rolled back to a snapshot.</summary>
    public Task<JobSnapshot> StartRestoreAsync(RestoreOrder order, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/restores", Body(order), ct);

    // ---- snapshots (second embodiment) ----

    public Task<VolumeDto> CreateSnapshotAsync(uint volume, CancellationToken ct = default) =>
        SendAsync<VolumeDto>(HttpMethod.Post, $"v1/volumes/{N(volume)}/snapshots", null, ct);

    /// <summary>Snapshot of the volume behind a port/LUN (how an agent knows its volume; FIG. 18).</summary>
    public Task<VolumeDto> CreateSnapshotAsync(string port, uint lun, CancellationToken ct = default) =>
        SendAsync<VolumeDto>(HttpMethod.Post, PortLunPath(port, lun) + "/snapshots", null, ct);

    /// <summary>The volume's snapshots, newest last. A snapshot is deleted like any volume (<see cref="DeleteVolumeAsync"/>).</summary>
    public async Task<IReadOnlyList<VolumeDto>> ListSnapshotsAsync(uint volume, CancellationToken ct = default) =>
        await SendAsync<VolumeDto[]>(HttpMethod.Get, $"v1/volumes/{N(volume)}/snapshots", null, ct).ConfigureAwait(false);

    // ---- volume copy (third embodiment, FIG. 19) ----

    public Task<JobSnapshot> StartVolumeCopyAsync(VolumeCopyOrder order, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/volume-copies", Body(order), ct);
}
