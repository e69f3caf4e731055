using Snapcat.Agent.Hooks;
using Snapcat.Core.VolumeInformation;
using Snapcat.Contracts.Array;

namespace Snapcat.Agent.Handlers;

/// <summary>
/// FIG. 10: backup with the array's data mirror function. The order is checked before the job starts
/// (mount point, label, hooks, and that the destination is in the copy destination list), so a refused
/// order runs no hook and orders no copy.
///
/// Failure policy: once the preprocess has started, the postprocess runs (FreezeScope), whatever the
/// copy did — as soon as the array confirms the copy's point in time, not after the copy. The volume
/// information is written only after the copy completed successfully: a secondary whose copy failed
/// holds no consistent image and must not carry a label that says it does.
/// </summary>
public sealed class MirrorBackupHandler(AgentRuntime runtime)
{
    public const string JobKind = "mirror-backup";

    public async Task<JobSnapshot> StartAsync(BackupOrder order, CancellationToken ct)
    {
        // Step 1610: the order (mount point, backup destination, pre/postprocess, label).
        BackupRecord.CheckOrder(runtime, order);
        uint destination = order.DestinationVolume ?? 0;
        if (destination == 0)
            Throw.Invalid("backup.missing_destination", "a mirror backup needs destinationVolume (a volume of the mount point's copy destination list)");

        // The port correspondence table (FIG. 3) and the Inquiry give the array and the primary.
        var source = await ProtectedVolume.ResolveAsync(runtime, order.MountPoint, ct).ConfigureAwait(false);
        BackupRecord.CheckRecordable(runtime, source, order, BackupKind.Mirror);
        var array = runtime.ArrayFor(source.DeviceId);
        var list = await array.GetCopyDestinationsAsync(source.Port, source.Lun, ct).ConfigureAwait(false);
        if (!list.CopyTo.Contains(destination))
            Throw.Invalid("backup.destination_not_in_copy_list",
                $"volume {destination} is not in the copy destination list of {source.DeviceId} volume {source.Volume} (mount point {order.MountPoint}); " +
                $"the list is [{string.Join(", ", list.CopyTo)}]. Nothing was run.");

        var job = runtime.Jobs.Start(JobKind, $"mirror backup of {order.MountPoint} to {source.DeviceId} volume {destination} ('{order.Label}')",
            ctx => RunAsync(ctx, order, source, array, destination));
        return job.Snapshot();
    }

    private async Task<System.Text.Json.Nodes.JsonNode?> RunAsync(JobContext ctx, BackupOrder order, ProtectedVolume source, ArrayClient array, uint destination)
    {
        var log = LogSink.ForJob(ctx);
        if (order.Definition is not null) log.Info($"backup definition: {order.Definition}");
        var invocation = new HookInvocation(HookPhase.Pre, ctx.JobId) { MountPoint = source.MountPoint, Label = order.Label, Operation = JobKind };

        // Steps 1611 (preprocess) … 1613 (postprocess), with the postprocess guaranteed by FreezeScope.
        // The application is frozen only until the array has fixed the copy's point in time: from then on
        // its copy-before-write keeps every chunk as it was at that moment, so the postprocess runs while
        // the data is still being copied (issue 15.4), and the freeze lasts milliseconds whatever the size.
        DateTimeOffset orderedAt = await runtime.Freeze.RunAsync(order.PreProcess, order.PostProcess, invocation, log, async (thaw, ct) =>
        {
            // Step 1612: port/LUN, destination volume and the copy order go to the array of the device ID.
            // The array answers once the point in time is taken (copy-before-write on), or with the job's
            // final state when it failed before that.
            var copy = await array.StartCopyAsync(new CopyOrder(null, source.Port, source.Lun, destination), ct).ConfigureAwait(false);
            if (copy.State.IsFinal() && copy.State != JobState.Succeeded) ArrayClient.EnsureSucceeded(copy);
            log.Info($"{AgentJobMarkers.CopyStarted} array {source.DeviceId} took the point in time at {copy.Created:O}: array job {copy.Id}, {source.Port} LUN {source.Lun} (volume {source.Volume}) → volume {destination}");
            try
            {
                await thaw.NowAsync().ConfigureAwait(false);
            }
            catch (Exception postFailure)
            {
                // The postprocess failed: the job fails as it always did, and the copy it would have
                // recorded is stopped rather than left to run for nobody.
                log.Error($"postprocess failed while the array copies ({postFailure.Message}); asking the array to stop job {copy.Id}");
                try { await array.CancelJobAsync(copy.Id, CancellationToken.None).ConfigureAwait(false); }
                catch (SnapcatException ex) { log.Warn($"could not ask the array to cancel its job {copy.Id}: {ex.Message}"); }
                throw;
            }
            // … and waits for the status, with the copy's progress as ours.
            var done = await WaitAsync(array, copy.Id, ctx, log, ct).ConfigureAwait(false);
            ArrayClient.EnsureSucceeded(done);
            log.Info($"copy to volume {destination} complete: {done.BytesDone} bytes");
            return copy.Created;
        }, ctx.CancellationToken).ConfigureAwait(false);

        // Step 1614 passed (a failure status left through the exception above: step 1617).
        // Step 1615: volume information of the backup destination, time stamp = when the array took the order.
        var record = BackupRecord.Build(runtime, source, order, orderedAt, BackupKind.Mirror);
        // Step 1616: status and record back to the server (the job's result).
        return await BackupRecord.RecordAsync(array, source, destination, record, log).ConfigureAwait(false);
    }

    /// <summary>Waits for the array's job; a cancelled agent job asks the array to stop its copy too.</summary>
    internal static async Task<JobSnapshot> WaitAsync(ArrayClient array, string arrayJob, JobContext ctx, LogSink log, CancellationToken ct)
    {
        try
        {
            return await array.WaitForJobAsync(arrayJob, new RemoteJobRelay(ctx), ct: ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            try
            {
                await array.CancelJobAsync(arrayJob, CancellationToken.None).ConfigureAwait(false);
                log.Warn($"asked the array to cancel its job {arrayJob}");
            }
            catch (SnapcatException ex)
            {
                log.Warn($"could not ask the array to cancel its job {arrayJob}: {ex.Message}");
            }
            throw;
        }
    }
}
