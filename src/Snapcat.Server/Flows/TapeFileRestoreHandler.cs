using System.Globalization;
using System.Text.Json.Nodes;

namespace Snapcat.Server.Flows;

/// <summary>
/// File restore from a tape backup (issue 6): tape data cannot be mounted, so it goes through a scratch volume.
///
///   1 the backup's data size is read from its trailer on tape
///   2 the server creates a scratch volume of that size on the backup's original array (its volume information's
///     source device ID) or on the array the request names
///   3 the tape data is streamed into it through the agent (<see cref="RestoreFromTapeHandler.StreamIntoAsync"/>,
///     checksum checked; the scratch volume is ours, so nothing there needs guarding)
///   4 FIG. 13 from the scratch volume: the agent attaches it on a restore port and copies the chosen files
///   5 the scratch volume is deleted
///
/// Failure policy: step 5 runs on every path once step 2 created the volume — after a failed tape read or file
/// copy, and after a cancel (with CancellationToken.None); the log says so, and names the volume if its delete
/// fails. Files the agent already copied before a failure stay at the destination (as in FIG. 13).
/// </summary>
public sealed class TapeFileRestoreHandler(ServerRuntime rt)
{
    /// <summary>The array the scratch volume goes on; checked before a job starts.</summary>
    public static string ScratchArrayOf(BackupDataRow row, RestoreRequest request)
    {
        if (request.Volume is not null)
            Throw.Invalid("restore.tape_files_target",
                "a file restore from tape makes its own scratch volume; name at most its array (--to-device), not a volume");
        if (request.PreHook is { Length: > 0 } || request.PostHook is { Length: > 0 })
            Throw.Invalid("restore.tape_hooks", "a file restore from tape copies files out of a scratch volume; pre/post hooks are not run for it");
        if (request.DeviceId is { Length: > 0 } named) return named;
        if (!VolumeInfoRecord.TryDecode(row.VolumeInfo, out var info, out string? reason))
            Throw.Invalid("restore.tape_target", $"backup {row.Id}'s volume information {reason}; name the array for the scratch volume (--to-device)");
        return info!.SourceDeviceId;
    }

    public async Task<JsonNode?> RunAsync(long backupId, RestoreRequest request, JobContext job)
    {
        var ct = job.CancellationToken;
        var row = await BackupRows.GetOnTapeAsync(rt, backupId, ct).ConfigureAwait(false);
        var library = rt.TapeLibraryOrThrow();
        var files = request.Files;
        if (files is not { Count: > 0 })
            Throw.Invalid("restore.nothing_requested", "a file restore names at least one path");
        string device = ScratchArrayOf(row, request);
        var array = rt.Remotes.ArrayFor(device);
        var agent = rt.Remotes.AgentFor(row.Host);

        // Steps 1-2.
        long size = await library.DataBytesAsync(row.MediaId, ct).ConfigureAwait(false);
        var scratch = await array.CreateVolumeAsync(size.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        job.Info($"scratch volume {scratch.Number} on {device} ({size} bytes) created for tape backup {backupId} ({row.MediaId})");

        Exception? failure = null;
        JsonObject? result = null;
        try
        {
            // Step 3.
            await new RestoreFromTapeHandler(rt).StreamIntoAsync(row, device, scratch.Number, size, job).ConfigureAwait(false);

            // Step 4: FIG. 13 from the scratch volume.
            job.Info($"restoring {files.Count} path(s) from scratch volume {scratch.Number} to {request.Destination ?? row.MountPoint} on {row.Host}");
            var started = await agent.StartFileRestoreAsync(
                new FileRestoreOrder(device, scratch.Number, files, row.MountPoint, request.Destination), ct).ConfigureAwait(false);
            var done = AgentClient.EnsureSucceeded(await agent.WaitForJobAsync(started.Id, ct: ct).ConfigureAwait(false));
            job.Info($"agent job {done.Id} finished: file restore of tape backup {backupId} done");
            result = new JsonObject { ["backup"] = backupId, ["agentJob"] = done.Id, ["scratchDeviceId"] = device, ["scratchVolume"] = scratch.Number };
            if (done.Result is not null) result["agentResult"] = done.Result.DeepClone();
        }
        catch (Exception e)
        {
            failure = e;
            job.Warn($"the file restore from tape failed ({e.Message}); deleting scratch volume {scratch.Number} on {device} anyway");
        }

        // Step 5: always. Forced: the scratch volume is this job's own, nothing else refers to it.
        try
        {
            await array.DeleteVolumeAsync(scratch.Number, force: true, CancellationToken.None).ConfigureAwait(false);
            job.Info($"deleted scratch volume {scratch.Number} on {device}");
        }
        catch (Exception e) when (e is SnapcatException or HttpRequestException or TaskCanceledException)
        {
            job.Warn($"could not delete scratch volume {scratch.Number} on {device}: {e.Message}; delete it with 'snapcat array volume delete'");
        }
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        return result;
    }
}
