using Snapcat.Agent.Hooks;
using Snapcat.Core.VolumeInformation;

namespace Snapcat.Agent.Handlers;

/// <summary>
/// FIG. 18: backup with the array's snapshot function — the flow of FIG. 10 without a destination
/// volume: the array chooses the snapshot's number and the agent returns it.
/// Failure policy: postprocess always (FreezeScope). Every field of the record is checked before the
/// preprocess, and the record is written the moment the snapshot exists — before the postprocess, so an
/// agent killed during the postprocess leaves a labelled snapshot a rebuild imports, not an orphan
/// (issue 9.6). If the job fails after the snapshot was taken (the record could not be written, the
/// postprocess failed), the snapshot is deleted again: a failed backup leaves no volume behind. Only when
/// that delete fails too is a snapshot left, and the job log names it.
/// </summary>
public sealed class SnapshotBackupHandler(AgentRuntime runtime)
{
    public const string JobKind = "snapshot-backup";

    public async Task<JobSnapshot> StartAsync(BackupOrder order, CancellationToken ct)
    {
        // Step 1650: the order (mount point, pre/postprocess, label; no destination volume).
        BackupRecord.CheckOrder(runtime, order);
        if (order.DestinationVolume is not null)
            Throw.Invalid("backup.destination_not_allowed",
                "a snapshot backup takes no destinationVolume: the array chooses the snapshot's volume number");
        var source = await ProtectedVolume.ResolveAsync(runtime, order.MountPoint, ct).ConfigureAwait(false);
        BackupRecord.CheckRecordable(runtime, source, order, BackupKind.Snapshot);
        var array = runtime.ArrayFor(source.DeviceId);

        var job = runtime.Jobs.Start(JobKind, $"snapshot backup of {order.MountPoint} on {source.DeviceId} ('{order.Label}')", async ctx =>
        {
            var log = LogSink.ForJob(ctx);
            if (order.Definition is not null) log.Info($"backup definition: {order.Definition}");
            var invocation = new HookInvocation(HookPhase.Pre, ctx.JobId) { MountPoint = source.MountPoint, Label = order.Label, Operation = JobKind };

            uint? taken = null;
            try
            {
                // Preprocess, snapshot, postprocess — the postprocess guaranteed by FreezeScope.
                var (number, record, bytes) = await runtime.Freeze.RunAsync(order.PreProcess, order.PostProcess, invocation, log, async c =>
                {
                    // Step 1651: the snapshot order by port/LUN, no destination volume named.
                    var s = await array.CreateSnapshotAsync(source.Port, source.Lun, c).ConfigureAwait(false);
                    taken = s.Number;
                    // Step 1653: the array answers with the snapshot's volume number.
                    log.Info($"snapshot of {source.DeviceId} volume {source.Volume} taken at {s.Created:O}: volume {s.Number}");
                    // Volume information on the snapshot at once, time stamp = when the array took the snapshot.
                    var r = BackupRecord.Build(runtime, source, order, s.Created, BackupKind.Snapshot);
                    return (s.Number, r, await BackupRecord.PutAsync(array, source, s.Number, r, log).ConfigureAwait(false));
                }, ctx.CancellationToken).ConfigureAwait(false);
                // Step 1657: the volume number (and the record) go back to the server.
                return BackupRecord.Result(source, number, record, bytes);
            }
            catch (Exception) when (taken is { } orphan)
            {
                await DiscardAsync(array, source, orphan, log).ConfigureAwait(false);
                throw;
            }
        });
        return job.Snapshot();
    }

    /// <summary>The snapshot of a failed job goes, record and volume; never with the job's token, which may be the reason we are here.</summary>
    private static async Task DiscardAsync(Snapcat.Contracts.Array.ArrayClient array, ProtectedVolume source, uint snapshot, LogSink log)
    {
        try
        {
            // The volume goes with its volume information (the array's volume management table row holds both).
            await array.DeleteVolumeAsync(snapshot, force: false, CancellationToken.None).ConfigureAwait(false);
            log.Warn($"the backup failed after the snapshot was taken; snapshot volume {snapshot} on {source.DeviceId} was deleted again");
        }
        catch (Exception e) when (e is SnapcatException or HttpRequestException or TaskCanceledException)
        {
            log.Error($"the backup failed after the snapshot was taken, and snapshot volume {snapshot} on {source.DeviceId} could not be deleted ({e.Message}); " +
                "'snapcat catalog orphans' lists it if it has no volume information, 'snapcat catalog orphans --delete' removes it");
        }
    }
}
