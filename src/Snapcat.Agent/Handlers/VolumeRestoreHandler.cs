using System.Text.Json;
using System.Text.Json.Nodes;
using Snapcat.Agent.Config;
using Snapcat.Agent.Hooks;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;
using Snapcat.Nbd.Protocol;
using Snapcat.Contracts.Array;

namespace Snapcat.Agent.Handlers;

/// <summary>
/// Volume restore (FIG. 12): the whole protected volume is overwritten with a backup volume by the
/// array — a mirror secondary copied back onto its primary, or the primary rolled back to a snapshot.
///
///   1620 order received → port correspondence row of the mount point (FIG. 3) → Inquiry of its
///        port/LUN (which array, which volume) → the backup volume must be a backup of that volume
///   1621 preprocess (e.g. unmount)
///   1622 volume restore order to the array (the array finds the primary; Force passes through)
///   1623 wait for the array's job, relaying its progress and log
///   1624 postprocess (e.g. fsck and mount) — runs whenever the preprocess ran (FreezeScope)
///   1625/1626 status: the job's result, or its error
///
/// Everything that can be checked without touching the host is checked before the preprocess, so a
/// wrong order unmounts nothing.
/// </summary>
public sealed class VolumeRestoreHandler(AgentRuntime runtime)
{
    public const string Operation = "volume-restore";

    /// <summary>The shape of the order; the API calls it before a job starts (400 on failure).</summary>
    public static void Validate(VolumeRestoreOrder? order)
    {
        if (order is null)
            Throw.Invalid("request.missing_body", "POST /v1/volume-restores needs a JSON body such as {\"mountPoint\":\"/srv/db\",\"backupVolume\":2}, optionally \"preProcess\", \"postProcess\" and \"force\"");
        if (string.IsNullOrWhiteSpace(order.MountPoint))
            Throw.Invalid("restore.mount_point_missing", "'mountPoint' is required: the mount point of the volume to restore, as in the port correspondence table");
        if (order.BackupVolume == 0)
            Throw.Invalid("restore.backup_volume_missing", "'backupVolume' is required: the number (from 1) of the backup volume on the array — a mirror secondary or a snapshot");
    }

    /// <summary>The checks against this host's own tables, also done before a job starts (404/403).</summary>
    public void CheckAgainstConfig(VolumeRestoreOrder order)
    {
        runtime.VolumeFor(order.MountPoint);
        if (order.PreProcess is not null) runtime.Hooks.EnsureAllowed(order.PreProcess);
        if (order.PostProcess is not null) runtime.Hooks.EnsureAllowed(order.PostProcess);
    }

    public async Task<JsonNode?> RunAsync(VolumeRestoreOrder order, JobContext job)
    {
        var result = await RestoreAsync(order, job, LogSink.ForJob(job), job.CancellationToken).ConfigureAwait(false);
        return JsonSerializer.SerializeToNode(result, JsonSerializerOptions.Web);
    }

    public async Task<VolumeRestoreResult> RestoreAsync(VolumeRestoreOrder order, JobContext job, LogSink log, CancellationToken ct)
    {
        // Step 1620: the order; which volume of this host it is about.
        Validate(order);
        CheckAgainstConfig(order);
        var entry = runtime.VolumeFor(order.MountPoint);
        var inquiry = await InquireAsync(entry, await runtime.NbdOptionsForPortAsync(entry.DataPortAddress, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        var array = runtime.ArrayFor(inquiry.DeviceId);
        log.Info($"volume restore: {order.MountPoint} is volume {inquiry.Volume} of array {inquiry.DeviceId} ({entry.DataPort} LUN {entry.Lun}); backup volume {order.BackupVolume}");
        string kind = await CheckIsBackupOfAsync(array, inquiry, order.BackupVolume, log, ct).ConfigureAwait(false);

        var invocation = new HookInvocation(HookPhase.Pre, job.JobId)
        {
            MountPoint = order.MountPoint,
            Operation = Operation,
            Extra = new Dictionary<string, string>
            {
                ["SNAPCAT_DEVICE_ID"] = inquiry.DeviceId,
                ["SNAPCAT_BACKUP_VOLUME"] = order.BackupVolume.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        };

        // Steps 1621–1624: preprocess → order → wait → postprocess; the postprocess runs whatever the
        // array answers once the preprocess has started.
        var final = await runtime.Freeze.RunAsync(order.PreProcess, order.PostProcess, invocation, log, async c =>
        {
            // Step 1622: the volume restore order. Primary is named so that the array refuses a
            // secondary that is not this volume's (a snapshot rolls back its own source).
            var started = await array.StartRestoreAsync(new RestoreOrder(order.BackupVolume, inquiry.Volume, order.Force), c).ConfigureAwait(false);
            log.Info($"volume restore: array {inquiry.DeviceId} runs job {started.Id} ({started.Description})");
            // Step 1623: the array's status.
            return await WaitAsync(array, started, job, log, c).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

        // Step 1625: report of restore achievement.
        log.Info($"volume restore of {order.MountPoint} from {kind} volume {order.BackupVolume} finished ({final.BytesDone} bytes copied)");
        return new VolumeRestoreResult(order.MountPoint, inquiry.DeviceId, inquiry.Volume, order.BackupVolume, kind, final.Id, final.BytesDone);
    }

    /// <summary>Snapcat's Inquiry over NBD: the export description names the array and the volume.</summary>
    internal static async Task<InquiryDescription> InquireAsync(PortCorrespondenceEntry entry, NbdClientOptions? options, CancellationToken ct)
    {
        NbdExportDetails details;
        try
        {
            details = await NbdClient.InquireAsync(entry.DataPortAddress, entry.ExportName, options, ct).ConfigureAwait(false);
        }
        catch (SnapcatException ex)
        {
            throw new SnapcatException(ex.Kind, ex.Code, $"the Inquiry of {entry.NbdUri} (mount point {entry.MountPoint}) failed: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IOException or NbdProtocolException)
        {
            Throw.Remote("inquiry.failed", $"the Inquiry of {entry.NbdUri} (mount point {entry.MountPoint}) failed: {ex.Message}", ex);
            throw;
        }
        if (details.Inquiry is null)
            Throw.Remote("inquiry.not_snapcat", $"{entry.NbdUri} (mount point {entry.MountPoint}) is not served by a Snapcat array: its description is '{details.Description}'");
        return details.Inquiry!;
    }

    private static async Task<string> CheckIsBackupOfAsync(ArrayClient array, InquiryDescription primary, uint backup, LogSink log, CancellationToken ct)
    {
        if (backup == primary.Volume)
            Throw.Invalid("restore.backup_is_primary", $"volume {backup} is the volume of the mount point itself, not a backup of it");
        var vol = await array.GetVolumeAsync(backup, ct).ConfigureAwait(false);
        if (vol.Kind == "snapshot")
        {
            if (vol.SourceVolume != primary.Volume)
                Throw.Invalid("restore.not_a_backup_of_volume",
                    $"snapshot {backup} on array {primary.DeviceId} was taken of volume {vol.SourceVolume}, not of volume {primary.Volume} (this mount point's)");
            return "snapshot";
        }
        var mirrors = await array.ListMirrorsAsync(primary.Volume, ct).ConfigureAwait(false);
        var pair = mirrors.FirstOrDefault(m => m.Secondary == backup);
        if (pair is null)
            Throw.Invalid("restore.not_a_backup_of_volume",
                $"volume {backup} on array {primary.DeviceId} is neither a snapshot of volume {primary.Volume} nor in its copy destination list ({string.Join(", ", mirrors.Select(m => m.Secondary))})");
        if (pair!.State != "complete")
            log.Warn($"volume restore: the last copy to volume {backup} is '{pair.State}' ({pair.Detail}); restoring what it holds");
        return "mirror";
    }

    private static async Task<JobSnapshot> WaitAsync(ArrayClient array, JobSnapshot started, JobContext job, LogSink log, CancellationToken ct)
    {
        var relay = new RemoteJobRelay(job) { OnLogLine = line => log.Info($"[array job {started.Id}] {line.Message}") };
        JobSnapshot final;
        try
        {
            final = await array.WaitForJobAsync(started.Id, relay, ct: ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Cancelling the agent's job must stop the array too; otherwise it goes on overwriting the volume.
            try
            {
                await array.CancelJobAsync(started.Id, CancellationToken.None).ConfigureAwait(false);
                log.Warn($"volume restore cancelled; asked the array to cancel job {started.Id} (the volume is part restored)");
            }
            catch (SnapcatException ex)
            {
                log.Error($"volume restore cancelled, but the array's job {started.Id} could not be cancelled: {ex.Message}");
            }
            throw;
        }
        return ArrayClient.EnsureSucceeded(final);
    }
}

/// <summary>Job result of a volume restore (FIG. 12 step 1625).</summary>
public sealed record VolumeRestoreResult(
    string MountPoint,
    string DeviceId,
    uint Volume,          // the restored (primary) volume
    uint BackupVolume,
    string Kind,          // "mirror" or "snapshot"
    string ArrayJobId,
    long BytesCopied);
