using System.Text.Json.Nodes;
using Snapcat.Contracts.Array;

namespace Snapcat.Server.Flows;

/// <summary>
/// A disk backup restored onto another named volume (<see cref="RestoreTarget"/>, issue 15.1), which the array writes by
/// volume copy without touching the production primary.
/// </summary>
public sealed class RestoreOntoVolumeHandler(ServerRuntime rt)
{
    /// <summary>
    /// The backup volume copied onto the named volume by its array (FIG. 19 steps 3640-3646). The copy carries
    /// the backup's volume information; it is removed from the target afterwards, because a restored volume is
    /// live data, not a second backup (a rebuild must not list it). A crash between the two leaves the target
    /// looking like a copy of the backup, which is true of its data at that moment.
    /// </summary>
    public async Task<JsonNode?> RunAsync(long backupId, RestoreRequest request, JobContext job)
    {
        var ct = job.CancellationToken;
        var (row, backupVolume, checkedTarget) = await RestoreRun.SelectAsync(rt, backupId, request, ontoOtherVolume: true, ct).ConfigureAwait(false);
        var target = checkedTarget!;
        var sourceArray = rt.Remotes.ArrayFor(row.DeviceId);
        var targetArray = rt.Remotes.ArrayFor(target.DeviceId);
        job.Info($"restoring backup {row.Id} (volume {backupVolume} on {row.DeviceId}) onto volume {target.Volume} on {target.DeviceId}; " +
            $"the primary of {row.Host}:{row.MountPoint} is not touched");

        // Like FIG. 9 step 2401: a backup the target held (allowed with --force) is about to be overwritten.
        int removed = await rt.Data.DeleteAtAsync(target.DeviceId, target.Volume.ToString(System.Globalization.CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        if (removed > 0) job.Warn($"removed {removed} catalog row(s) of volume {target.Volume} on {target.DeviceId}, which this restore overwrites");

        var order = target.DeviceId == row.DeviceId
            ? new VolumeCopyOrder(backupVolume, target.Volume)
            : new VolumeCopyOrder(backupVolume, null, target.DeviceId, target.Details!.Assignments[0].Port, target.Details.Assignments[0].Lun);
        var started = await sourceArray.StartVolumeCopyAsync(order, ct).ConfigureAwait(false);
        job.Info($"array {row.DeviceId} copies it as job {started.Id}");
        var done = ArrayClient.EnsureSucceeded(await sourceArray.WaitForJobAsync(started.Id, new RemoteJobRelay(job), ct: ct).ConfigureAwait(false));

        await targetArray.DeleteVolumeInfoAsync(target.Volume, CancellationToken.None).ConfigureAwait(false);
        job.Info($"restored {done.BytesDone} bytes onto volume {target.Volume} on {target.DeviceId} (volume information not carried over: it is no backup)");
        return new JsonObject
        {
            ["backup"] = row.Id, ["deviceId"] = target.DeviceId, ["volume"] = target.Volume, ["arrayJob"] = done.Id, ["bytes"] = done.BytesDone,
        };
    }
}
