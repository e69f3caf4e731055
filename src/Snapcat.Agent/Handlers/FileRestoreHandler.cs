using System.Text.Json;
using System.Text.Json.Nodes;
using Snapcat.Agent.Attach;
using Snapcat.Agent.FileRestore;
using Snapcat.Agent.Hooks;

namespace Snapcat.Agent.Handlers;

/// <summary>
/// File restore (FIG. 13): chosen files and directories are copied out of a backup volume.
///
///   1630 order received (device ID, backup volume, paths/globs, destination)
///   1631 take a free restore port/LUN of this host; the array assigns the backup volume to it read-only
///   1632 attach it to the host, check the file system read-only, mount it read-only (IVolumeAttacher)
///   1633 copy the requested paths/globs to the destination — the original mount point by default,
///        or another directory — keeping modes and times (FileCopier)
///   1634 unmount and detach
///   1635 the array releases the port/LUN; the restore port goes back to the pool
///   1636 status: the job's result, or its error
///
/// Every step done is pushed on an undo stack with its undo action. Steps 1634–1635 are that stack
/// run on success; on failure the same stack runs in reverse order and the job log names each step undone.
/// </summary>
public sealed class FileRestoreHandler(AgentRuntime runtime)
{
    public const string Operation = "file-restore";

    /// <summary>The shape of the order; the API calls it before a job starts (400 on failure).</summary>
    public static void Validate(FileRestoreOrder? order)
    {
        if (order is null)
            Throw.Invalid("request.missing_body", "POST /v1/file-restores needs a JSON body such as {\"deviceId\":\"ARRAY-01\",\"backupVolume\":2,\"paths\":[\"etc/app.conf\",\"data/**/*.csv\"],\"mountPoint\":\"/srv/db\"}");
        if (string.IsNullOrWhiteSpace(order.DeviceId))
            Throw.Invalid("restore.device_id_missing", "'deviceId' is required: the array that holds the backup volume");
        if (order.BackupVolume == 0)
            Throw.Invalid("restore.backup_volume_missing", "'backupVolume' is required: the number (from 1) of the backup volume on that array");
        if (order.Paths is null || order.Paths.Count == 0)
            Throw.Invalid("restore.nothing_requested", "'paths' is required: at least one path or glob relative to the backed-up file system's root");
        if (order.Paths.Count > MaxPaths)
            Throw.Invalid("restore.too_many_paths", $"'paths' has {order.Paths.Count} entries; at most {MaxPaths} are taken in one order");
        foreach (string? p in order.Paths)
        {
            if (string.IsNullOrWhiteSpace(p)) Throw.Invalid("restore.path_empty", "'paths' holds an empty entry");
            // '..' and NUL refused here, before a port is taken or anything attached (RestoreSelection
            // checks the same again under the mount, and refuses paths through symbolic links there).
            RestoreSelection.Normalize(p);
            CheckLengths(p, "a requested path");
        }
        if (order.MountPoint is not null) CheckLengths(order.MountPoint, "'mountPoint'");
        if (order.Destination is not null) CheckLengths(order.Destination, "'destination'");
        string? destination = order.Destination ?? order.MountPoint;
        if (string.IsNullOrWhiteSpace(destination))
            Throw.Invalid("restore.destination_missing", "say where the files go: 'mountPoint' (the original mount point, the default destination) or 'destination' (another directory)");
        if (!Path.IsPathRooted(destination))
            Throw.Invalid("restore.destination_invalid", $"the destination '{destination}' is not an absolute path");
    }

    /// <summary>Linux limits: NAME_MAX 255 bytes per component, PATH_MAX 4096 bytes per path (limits.h).</summary>
    public const int NameMax = 255, PathMax = 4096, MaxPaths = 10_000;

    private static void CheckLengths(string path, string what)
    {
        if (path.Contains('\0')) Throw.Invalid("restore.path_invalid", $"{what} contains a NUL character");
        if (System.Text.Encoding.UTF8.GetByteCount(path) >= PathMax)
            Throw.Invalid("restore.path_too_long", $"{what} is {System.Text.Encoding.UTF8.GetByteCount(path)} bytes long; a path has fewer than {PathMax} bytes");
        foreach (string part in path.Split('/'))
            if (System.Text.Encoding.UTF8.GetByteCount(part) > NameMax)
                Throw.Invalid("restore.path_too_long", $"{what} has a name of {System.Text.Encoding.UTF8.GetByteCount(part)} bytes ('{part[..Math.Min(part.Length, 24)]}…'); a file name has at most {NameMax} bytes");
    }

    /// <summary>The checks against this host's own tables, also done before a job starts.</summary>
    public void CheckAgainstConfig(FileRestoreOrder order)
    {
        runtime.ArrayFor(order.DeviceId);
        if (runtime.Config.RestorePorts.Count == 0)
            Throw.Conflict("restore_port.none", $"host {runtime.Config.HostName} has no restore ports configured (restorePorts); a file restore needs one");
        // Hooks sent with the order run around the copy, or the order is refused now: never dropped.
        if (order.PreProcess is not null) runtime.Hooks.EnsureAllowed(order.PreProcess);
        if (order.PostProcess is not null) runtime.Hooks.EnsureAllowed(order.PostProcess);
        string destination = Path.GetFullPath(order.Destination ?? order.MountPoint!);
        // GetFullPath has folded any '..'; what is left must lie in a directory this host allows.
        var allowed = runtime.Config.RestoreDestinations.Concat(runtime.Config.PortCorrespondence.Select(p => p.MountPoint))
            .Select(Path.GetFullPath).ToArray();
        if (!allowed.Any(a => Within(destination, a)))
            Throw.Forbidden("restore.destination_not_allowed",
                $"host {runtime.Config.HostName} does not restore files into {destination}: allowed are its protected mount points and restoreDestinations " +
                $"({(allowed.Length == 0 ? "none" : string.Join(", ", allowed))}) and the directories below them");
        // The backup is mounted read-only under these directories; copying into them would copy the backup onto itself.
        foreach (string own in runtime.Config.RestorePorts.Select(p => p.MountDirectory).Append(runtime.Config.StateDirectory))
        {
            string full = Path.GetFullPath(own);
            if (Within(destination, full))
                Throw.Invalid("restore.destination_invalid", $"the destination {destination} lies in {full}, which belongs to the agent's restore machinery");
        }
    }

    private static bool Within(string path, string directory) =>
        path == directory || directory == "/" || path.StartsWith(directory.TrimEnd('/') + "/", StringComparison.Ordinal);

    public async Task<JsonNode?> RunAsync(FileRestoreOrder order, JobContext job)
    {
        var result = await RestoreAsync(order, LogSink.ForJob(job), job.CancellationToken, job.JobId).ConfigureAwait(false);
        return JsonSerializer.SerializeToNode(result, JsonSerializerOptions.Web);
    }

    public async Task<FileRestoreResultDto> RestoreAsync(FileRestoreOrder order, LogSink log, CancellationToken ct, string? jobId = null)
    {
        // Step 1630: the order.
        Validate(order);
        CheckAgainstConfig(order);
        string destination = Path.GetFullPath(order.Destination ?? order.MountPoint!);
        var array = runtime.ArrayFor(order.DeviceId);
        var volume = await array.GetVolumeAsync(order.BackupVolume, ct).ConfigureAwait(false);
        log.Info($"file restore: {order.Paths.Count} path(s) from volume {volume.Number} ({volume.Kind}, {volume.Size} bytes) of array {order.DeviceId} to {destination}");

        var undo = new UndoStack();
        string step = "taking a restore port";
        FileCopyReport report;
        try
        {
            // Step 1631: a restore port/LUN of this host, and the array's read-only assignment to it.
            var lease = await runtime.AcquireRestorePortAsync(order.DeviceId, ct).ConfigureAwait(false);
            var port = lease.Port;
            string at = $"{port.DataPort} LUN {port.Lun}";
            undo.Push($"restore port {at} taken", () => { lease.Dispose(); return Task.CompletedTask; });

            step = $"assigning volume {volume.Number} to {at}";
            // Limited to this agent's own NBD identity, when it has one on that array: no other host may read the backup meanwhile.
            await array.AssignAsync(volume.Number, port.DataPort, checked((uint)port.Lun), readOnly: true, runtime.RestoreIdentitiesFor(order.DeviceId), ct).ConfigureAwait(false);
            undo.Push($"volume {volume.Number} assigned read-only to {at} on array {order.DeviceId}",
                () => array.ReleaseAsync(port.DataPort, checked((uint)port.Lun), CancellationToken.None));
            log.Info($"file restore: array {order.DeviceId} assigned volume {volume.Number} read-only to {at}");
            await runtime.VerifyAssignedAsync(port, order.DeviceId, volume.Number, ct).ConfigureAwait(false);

            // Step 1632: attach, read-only check, read-only mount. The attacher undoes its own steps when it fails.
            step = $"attaching {at}";
            var request = new AttachRequest(port.DataPortAddress, port.ExportName, port.MountDirectory,
                Path.Combine(runtime.Config.AttachDirectory, $"lun-{port.Lun}"), volume.Size)
            {
                Tls = runtime.NbdTlsFor(order.DeviceId),
            };
            var attachment = await runtime.Attacher.AttachAsync(request, log, ct).ConfigureAwait(false);
            undo.Push($"volume attached and mounted read-only on {attachment.MountDirectory}", () => attachment.DetachAsync(log));

            // Step 1633: the copy. Synchronous file I/O; the job already runs on a pool thread.
            // With the order's pre/postprocess around it (FreezeScope: the postprocess runs whenever the
            // preprocess ran, and an agent crash leaves it in the pending-thaw journal).
            step = $"copying to {destination}";
            var invocation = new HookInvocation(HookPhase.Pre, jobId ?? "file-restore")
            {
                MountPoint = order.MountPoint,
                Operation = Operation,
                Extra = new Dictionary<string, string>
                {
                    ["SNAPCAT_DEVICE_ID"] = order.DeviceId,
                    ["SNAPCAT_BACKUP_VOLUME"] = volume.Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["SNAPCAT_RESTORE_DESTINATION"] = destination,
                    ["SNAPCAT_RESTORE_MOUNT"] = attachment.MountDirectory,
                },
            };
            report = await runtime.Freeze.RunAsync(order.PreProcess, order.PostProcess, invocation, log,
                c => Task.FromResult(FileCopier.Copy(attachment.MountDirectory, order.Paths, destination, log, c)), ct).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            log.Error($"file restore failed while {step}: {ex.Message}; undoing {undo.Steps.Count} step(s) done so far");
            try
            {
                await undo.UndoAllAsync(log).ConfigureAwait(false);
            }
            catch (SnapcatException undoFailure)
            {
                // The original failure stays the job's error; what could not be undone is logged beside it.
                log.Error(undoFailure.Message);
            }
            throw;
        }

        // Steps 1634–1635: unmount, detach, the array releases the port, the restore port is free again.
        // A step that cannot be undone fails the job: something is left attached and someone must know.
        log.Info($"file restore: copy finished; taking down the {undo.Steps.Count} step(s) set up for it");
        await undo.UndoAllAsync(log).ConfigureAwait(false);

        // Step 1636: status.
        if (!report.Complete)
            Throw.Conflict("restore.incomplete",
                $"file restore to {destination} copied {report.Copied.Count} entries ({report.TotalBytes} bytes) but not everything asked for: " +
                string.Join("; ", report.Failed.Concat(report.NotMatched.Select(n => $"'{n}' matches nothing in the backup"))));
        return new FileRestoreResultDto(destination, report.Copied.Select(c => c.Path).ToArray(), report.TotalBytes);
    }
}
