namespace Snapcat.Agent.Handlers;

/// <summary>
/// FIG. 14: delete backup data — the array deletes the volume information of the backup volume; for a
/// snapshot the snapshot volume goes too (a mirror secondary stays: it is the next backup's destination).
/// The volume is checked first: asking to delete a "snapshot" that is an ordinary volume is refused
/// before anything is deleted, because deleting a volume that holds data is not undoable.
/// </summary>
public sealed class BackupDeletionHandler(AgentRuntime runtime)
{
    public const string JobKind = "backup-deletion";

    public async Task<JobSnapshot> StartAsync(BackupDeletionOrder order, CancellationToken ct)
    {
        // Step 1640: the command, with device ID and volume number.
        if (string.IsNullOrWhiteSpace(order.DeviceId))
            Throw.Invalid("deletion.missing_device_id", "a backup deletion needs deviceId (the array holding the backup volume)");
        if (order.Volume == 0)
            Throw.Invalid("deletion.missing_volume", "a backup deletion needs volume (the backup volume's number, from 1)");
        var array = runtime.ArrayFor(order.DeviceId);
        var volume = await array.GetVolumeAsync(order.Volume, ct).ConfigureAwait(false);
        if (order.IsSnapshot && volume.Kind != "snapshot")
            Throw.Invalid("deletion.not_a_snapshot",
                $"{order.DeviceId} volume {order.Volume} is a {volume.Kind}, not a snapshot; it was not deleted (send isSnapshot=false to delete only its volume information)");
        if (order.IsSnapshot && volume.Assignments.Count > 0)
            Throw.Conflict("deletion.snapshot_assigned",
                $"snapshot {order.Volume} on {order.DeviceId} is assigned to {string.Join(", ", volume.Assignments.Select(a => $"{a.Port} LUN {a.Lun}"))}; " +
                "release it first (a file restore or stream may be using it). Nothing was deleted.");

        var job = runtime.Jobs.Start(JobKind, $"delete backup {order.DeviceId} volume {order.Volume}" + (order.IsSnapshot ? " (snapshot)" : ""), async ctx =>
        {
            var log = LogSink.ForJob(ctx);
            // Step 1641: the volume number and the delete command go to the array, which deletes the
            // volume information in its volume management table.
            await array.DeleteVolumeInfoAsync(order.Volume, ctx.CancellationToken).ConfigureAwait(false);
            log.Info($"volume information of {order.DeviceId} volume {order.Volume} deleted");
            if (order.IsSnapshot)
            {
                await array.DeleteVolumeAsync(order.Volume, force: false, ctx.CancellationToken).ConfigureAwait(false);
                log.Info($"snapshot volume {order.Volume} deleted");
            }
            return null;
        });
        return job.Snapshot();
    }
}
