using System.Net.Http.Json;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;

namespace Snapcat.Array.Api;

// The copy functions of the control API (data mirror, snapshots, volume copy; routes in ArrayContracts.cs).
// Copies, restores and volume copies run on the array as jobs: the call returns the job at once (202)
// and WaitForJobAsync polls it to its end.
public sealed partial class ArrayClient
{
    /// <summary>How often <see cref="WaitForJobAsync"/> asks; a copy job's progress moves in chunk windows, so faster buys nothing.</summary>
    public static readonly TimeSpan DefaultJobPollInterval = TimeSpan.FromMilliseconds(250);

    // ---- data mirror: copy destination lists (FIG. 7 column 375) ----

    public async Task<IReadOnlyList<MirrorDestinationDto>> ListMirrorsAsync(uint primary, CancellationToken ct = default) =>
        await SendAsync<MirrorDestinationDto[]>(HttpMethod.Get, $"v1/volumes/{N(primary)}/mirrors", null, ct);

    public Task<MirrorDestinationDto> AddMirrorAsync(uint primary, uint secondary, CancellationToken ct = default) =>
        SendAsync<MirrorDestinationDto>(HttpMethod.Post, $"v1/volumes/{N(primary)}/mirrors",
            JsonContent.Create(new MirrorAddRequest(secondary), options: Json), ct);

    public Task RemoveMirrorAsync(uint primary, uint secondary, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"v1/volumes/{N(primary)}/mirrors/{N(secondary)}", null, ct);

    /// <summary>FIG. 8: the volume behind a port/LUN and its copy destination list, as an agent asks for it.</summary>
    public Task<CopyDestinationsDto> GetCopyDestinationsAsync(string port, uint lun, CancellationToken ct = default) =>
        SendAsync<CopyDestinationsDto>(HttpMethod.Get, PortLunPath(port, lun) + "/mirrors", null, ct);

    /// <summary>Starts a point-in-time mirror copy (FIG. 10); the answer is the job.</summary>
    public Task<JobSnapshot> StartCopyAsync(CopyOrder order, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/copies", JsonContent.Create(order, options: Json), ct);

    /// <summary>Starts a restore (FIG. 12): a secondary back onto its primary, or a source rolled back to a snapshot.</summary>
    public Task<JobSnapshot> StartRestoreAsync(RestoreOrder order, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/restores", JsonContent.Create(order, options: Json), ct);

    // ---- snapshots (second embodiment) ----

    public Task<VolumeDto> CreateSnapshotAsync(uint volume, CancellationToken ct = default) =>
        SendAsync<VolumeDto>(HttpMethod.Post, $"v1/volumes/{N(volume)}/snapshots", null, ct);

    /// <summary>Snapshot of the volume behind a port/LUN (how an agent knows its volume; FIG. 18).</summary>
    public Task<VolumeDto> CreateSnapshotAsync(string port, uint lun, CancellationToken ct = default) =>
        SendAsync<VolumeDto>(HttpMethod.Post, PortLunPath(port, lun) + "/snapshots", null, ct);

    /// <summary>The volume's snapshots, newest last. A snapshot is deleted like any volume (<see cref="DeleteVolumeAsync"/>).</summary>
    public async Task<IReadOnlyList<VolumeDto>> ListSnapshotsAsync(uint volume, CancellationToken ct = default) =>
        await SendAsync<VolumeDto[]>(HttpMethod.Get, $"v1/volumes/{N(volume)}/snapshots", null, ct);

    // ---- volume copy (third embodiment, FIG. 19) ----

    public Task<JobSnapshot> StartVolumeCopyAsync(VolumeCopyOrder order, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/volume-copies", JsonContent.Create(order, options: Json), ct);

    // ---- jobs ----

    public async Task<IReadOnlyList<JobSnapshot>> ListJobsAsync(CancellationToken ct = default) =>
        await SendAsync<JobSnapshot[]>(HttpMethod.Get, "v1/jobs", null, ct);

    public Task<JobSnapshot> GetJobAsync(string id, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Get, JobPath(id), null, ct);

    /// <summary>Asks the array to cancel the job; it ends as Cancelled (or finishes first) — poll to see which.</summary>
    public Task CancelJobAsync(string id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, JobPath(id), null, ct);

    /// <summary>
    /// Polls the job until it reaches a final state and returns that state (a failed job is returned, not
    /// thrown: see <see cref="EnsureSucceeded"/>). Every snapshot read goes to <paramref name="progress"/>.
    /// Past <paramref name="timeout"/> (default: no limit) it throws <c>job.wait_timeout</c>; the job itself
    /// keeps running on the array.
    /// </summary>
    public async Task<JobSnapshot> WaitForJobAsync(string id, IProgress<JobSnapshot>? progress = null,
        TimeSpan? timeout = null, TimeSpan? pollInterval = null, CancellationToken ct = default)
    {
        var interval = pollInterval ?? DefaultJobPollInterval;
        if (interval <= TimeSpan.Zero) Throw.Invalid("job.bad_poll_interval", $"poll interval must be above zero, not {interval}");
        var deadline = timeout is { } t ? DateTime.UtcNow + t : DateTime.MaxValue;
        while (true)
        {
            var job = await GetJobAsync(id, ct).ConfigureAwait(false);
            progress?.Report(job);
            if (job.State.IsFinal()) return job;
            if (DateTime.UtcNow >= deadline)
                throw new SnapcatException(ErrorKind.Remote, "job.wait_timeout",
                    $"job {id} ({job.Description}) did not finish within {timeout!.Value.TotalSeconds:0.#} s " +
                    $"(state {job.State}, {job.BytesDone} of {job.BytesTotal} bytes); it goes on running on the array at {BaseUrl}");
            await Task.Delay(interval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Returns a succeeded job; turns a failed or cancelled one into an error with the array's code and message.</summary>
    public static JobSnapshot EnsureSucceeded(JobSnapshot job) => job.State switch
    {
        JobState.Succeeded => job,
        JobState.Cancelled => throw new SnapcatException(ErrorKind.Conflict, job.ErrorCode ?? "job.cancelled",
            $"job {job.Id} ({job.Description}) was cancelled"),
        JobState.Failed => throw new SnapcatException(ErrorKind.Remote, job.ErrorCode ?? "job.failed",
            $"job {job.Id} ({job.Description}) failed: {job.ErrorMessage ?? "no reason given"}"),
        _ => throw new SnapcatException(ErrorKind.Invalid, "job.not_finished", $"job {job.Id} is still {job.State}"),
    };

    private static string JobPath(string id)
    {
        if (string.IsNullOrWhiteSpace(id)) Throw.Invalid("job.bad_id", "a job ID is needed, e.g. j-0123456789ab");
        return "v1/jobs/" + Uri.EscapeDataString(id);
    }
}
