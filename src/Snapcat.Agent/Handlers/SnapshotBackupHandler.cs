using Snapcat.Agent.Api;
using Snapcat.Agent.Hooks;
using Snapcat.Agent.Hosting;
using Snapcat.Agent.Logging;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Core.VolumeInformation;

namespace Snapcat.Agent.Handlers;

/// <summary>
/// FIG. 18: backup with the array's snapshot function — the flow of FIG. 10 without a destination
/// volume: the array chooses the snapshot's number and the agent returns it.
/// Failure policy as in <see cref="MirrorBackupHandler"/>: postprocess always, volume information only
/// on a snapshot that was created.
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
        var array = runtime.ArrayFor(source.DeviceId);

        var job = runtime.Jobs.Start(JobKind, $"snapshot backup of {order.MountPoint} on {source.DeviceId} ('{order.Label}')", async ctx =>
        {
            var log = LogSink.ForJob(ctx);
            if (order.Definition is not null) log.Info($"backup definition: {order.Definition}");
            var invocation = new HookInvocation(HookPhase.Pre, ctx.JobId) { MountPoint = source.MountPoint, Label = order.Label, Operation = JobKind };

            // Preprocess, snapshot, postprocess — the postprocess guaranteed by FreezeScope.
            var snapshot = await runtime.Freeze.RunAsync(order.PreProcess, order.PostProcess, invocation, log, async c =>
            {
                // Step 1651: the snapshot order by port/LUN, no destination volume named.
                var s = await array.CreateSnapshotAsync(source.Port, source.Lun, c).ConfigureAwait(false);
                // Step 1653: the array answers with the snapshot's volume number.
                log.Info($"snapshot of {source.DeviceId} volume {source.Volume} taken at {s.Created:O}: volume {s.Number}");
                return s;
            }, ctx.CancellationToken).ConfigureAwait(false);

            // Volume information on the snapshot, time stamp = when the array took the snapshot.
            var record = BackupRecord.Build(runtime, source, order.Label, snapshot.Created, BackupKind.Snapshot);
            // Step 1657: the volume number (and the record) go back to the server.
            return await BackupRecord.RecordAsync(array, source, snapshot.Number, record, log).ConfigureAwait(false);
        });
        return job.Snapshot();
    }
}
