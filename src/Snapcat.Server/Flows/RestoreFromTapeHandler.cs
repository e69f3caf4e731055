using System.Text.Json.Nodes;
using Snapcat.Server.Tape;

namespace Snapcat.Server.Flows;

/// <summary>
/// Restore of a backup held on tape into a volume: the server reads the data from the library and streams it
/// through the agent of the backup's host into the target volume (<c>PUT /v1/streams/volume</c>), checking the
/// CRC-32C recorded at copy time while it streams. Target: the request's device ID and volume, or else the
/// backup's source volume from its volume information (which overwrites the live volume, so it needs force).
/// A target in use (assigned read-write to a data port, or a mirror primary) is refused without force, as the disk
/// restore refuses a primary with writers; a target that holds a backup needs force and is then <b>replaced</b>: its
/// volume information and catalog row are removed before the data is written, and afterwards it carries the restored
/// backup's volume information and a catalog row of its own (origin copy).
///
/// Failure policy: the last tape block is held back until length and checksum matched (<see cref="HoldBackStream"/>),
/// so on any mismatch the agent receives a short body, answers with an error, and the job fails saying the
/// target volume is incomplete. The content digest of what was read is checked against the one the tape carries before that
/// last block too (issue 13): a damaged data block fails the restore with <c>digest.mismatch</c>, the target left incomplete.
/// A file restore from tape goes through a scratch volume (<see cref="TapeFileRestoreHandler"/>).
/// </summary>
public sealed class RestoreFromTapeHandler(ServerRuntime rt)
{
    public static (string DeviceId, uint Volume) TargetOf(BackupDataRow row, RestoreRequest request)
    {
        if (request.PreHook is { Length: > 0 } || request.PostHook is { Length: > 0 })
            Throw.Invalid("restore.tape_hooks", "a restore from tape streams into a volume that must not be in use; pre/post hooks are not run for it");
        bool named = request.DeviceId is { Length: > 0 } || request.Volume is not null;
        if (named && (request.DeviceId is not { Length: > 0 } || request.Volume is not > 0))
            Throw.Invalid("restore.tape_target", "name the target with both the array (device ID) and the volume number, e.g. --to-device ARRAY-01 --to-volume 5");
        if (named) return (request.DeviceId!, request.Volume!.Value);
        if (!VolumeInfoRecord.TryDecode(row.VolumeInfo, out var info, out string? reason))
            Throw.Invalid("restore.tape_target", $"backup {row.Id}'s volume information {reason}; name the target volume (--to-device, --to-volume)");
        if (!request.Force)
            Throw.Invalid("restore.tape_overwrite",
                $"without a target, backup {row.Id} is restored onto its source volume {info!.SourceVolume} on {info.SourceDeviceId} ({row.Host}:{row.MountPoint}), " +
                "overwriting it; unmount it and pass --force, or name another volume with --to-device and --to-volume");
        return (info!.SourceDeviceId, info.SourceVolume);
    }

    /// <summary>
    /// The target's checks (issue 15.8), run when the restore is requested (a 409 instead of a failed job) and again in
    /// the job. In use: a host reaches the volume read-write through a data port (a primary), or it is the primary of a
    /// mirror; overwriting it under a running host corrupts its file system, so as for a disk restore only force (after
    /// the host unmounted it) lets the restore go ahead. A target with volume information holds a backup: force, and it
    /// is replaced. Returns the volume, its volume information (null: no backup) and what uses it.
    /// </summary>
    public static async Task<(Snapcat.Contracts.Array.VolumeDto Target, byte[]? OldInfo, IReadOnlyList<string> Uses)> CheckTargetAsync(
        Snapcat.Contracts.Array.ArrayClient array, string device, uint volume, bool force, CancellationToken ct)
    {
        var target = await array.GetVolumeAsync(volume, ct).ConfigureAwait(false);
        if (target.Kind == "snapshot")
            Throw.Invalid("restore.tape_target_snapshot", $"volume {volume} on {device} is a snapshot (read-only); restore into a volume");
        var uses = target.Assignments.Where(a => !a.ReadOnly).Select(a => $"port {a.Port} LUN {a.Lun} read-write").ToList();
        if (target.MirrorDestinations.Count > 0) uses.Add($"mirror primary of volume(s) {string.Join(", ", target.MirrorDestinations)}");
        if (uses.Count > 0 && !force)
            Throw.Conflict("restore.target_in_use",
                $"volume {volume} on {device} is in use ({string.Join("; ", uses)}); unmount it on its host and pass --force, or restore into a volume no host uses");
        byte[]? oldInfo = await array.GetVolumeInfoAsync(volume, ct).ConfigureAwait(false);
        if (oldInfo is not null && !force)
            Throw.Conflict("restore.target_is_backup",
                $"volume {volume} on {device} holds a backup (it has volume information); choose a scratch volume or pass --force to replace it");
        return (target, oldInfo, uses);
    }

    public async Task<JsonNode?> RunAsync(long backupId, RestoreRequest request, JobContext job)
    {
        var ct = job.CancellationToken;
        var row = await BackupRows.GetOnTapeAsync(rt, backupId, ct).ConfigureAwait(false);
        var (device, volume) = TargetOf(row, request);
        var array = rt.Remotes.ArrayFor(device);
        var (target, oldInfo, uses) = await CheckTargetAsync(array, device, volume, request.Force, ct).ConfigureAwait(false);
        if (uses.Count > 0)
            job.Warn($"volume {volume} on {device} is in use ({string.Join("; ", uses)}); overwriting it because the restore was forced");

        string media = volume.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (oldInfo is not null)
        {
            // The target held a backup: it is replaced. Its volume information goes first, then its catalog row (the
            // order of the delete flow, FIG. 14), both before any byte is overwritten — so a restore that fails half way
            // leaves neither a record nor a row claiming the old backup is still there.
            await array.DeleteVolumeInfoAsync(volume, ct).ConfigureAwait(false);
            int rows = await rt.Data.DeleteAtAsync(device, media, CancellationToken.None).ConfigureAwait(false);
            job.Info($"volume {volume} on {device} held a backup: removed its volume information and {rows} catalog row(s) before overwriting it");
        }
        TapeBackupResultSummary done;
        try
        {
            done = await StreamIntoAsync(row, device, volume, target.Size, job).ConfigureAwait(false);
        }
        catch (SnapcatException e) when (e.Code == "digest.mismatch")
        {
            // The last block was held back (HoldBackStream): the agent never received the whole body and did not commit it.
            throw new SnapcatException(e.Kind, e.Code, e.Message + $"; the restore target, volume {volume} on {device}, is left incomplete " +
                "(every block but the last was written, so it holds part of the damaged data and must not be used)" +
                (oldInfo is not null ? " and without volume information or catalog row (the backup it held was removed first)" : "") +
                "; restore from another copy of the backup");
        }
        var result = new JsonObject
        {
            ["backup"] = backupId, ["deviceId"] = device, ["volume"] = volume, ["bytes"] = done.Bytes,
            ["crc32c"] = done.Crc32C.ToString("X8", System.Globalization.CultureInfo.InvariantCulture), ["digest"] = done.Digest,
        };
        if (oldInfo is not null)
        {
            // The volume now holds the tape backup: it gets that backup's volume information and a catalog row (origin
            // copy), as a volume copy would (FIG. 19), so the catalog and a rebuild from the array agree on what it holds.
            await array.PutVolumeInfoAsync(volume, row.VolumeInfo, CancellationToken.None).ConfigureAwait(false);
            long id = await rt.Data.RecordAsync(BackupRows.FromRecord(row.VolumeInfo, device, volume, BackupOrigin.Copy) with { Digest = done.Digest }, CancellationToken.None).ConfigureAwait(false);
            job.Info($"volume {volume} on {device} now holds backup {row.BackupId}: wrote its volume information and recorded it as backup {id}");
            result["replaced"] = true;
            result["copy"] = id;
        }
        return result;
    }

    /// <summary>The tape data of <paramref name="row"/> through the agent of its host into <paramref name="volume"/> (exactly <paramref name="size"/> bytes), checksum checked.</summary>
    public async Task<TapeBackupResultSummary> StreamIntoAsync(BackupDataRow row, string device, uint volume, long size, JobContext job)
    {
        var ct = job.CancellationToken;
        var library = rt.TapeLibraryOrThrow();
        var agent = rt.Remotes.AgentFor(row.Host);

        job.Info($"restoring tape backup {row.Id} ({row.MediaId}) into volume {volume} on {device} through the agent of {row.Host}");
        job.SetProgress(0, size);
        TapeBackupResultSummary? done = null;
        await agent.WriteVolumeStreamAsync(device, volume, size, async (body, token) =>
        {
            var held = new HoldBackStream(body, size, $"tape backup {row.MediaId}");
            // Throws tape.checksum_mismatch before the held-back last block goes out.
            var r = await new TapeCopy(library).RestoreFromTapeAsync(row.MediaId, held, new CopyToTapeHandler.JobProgress(job, size), token).ConfigureAwait(false);
            await held.CompleteAsync(token).ConfigureAwait(false);
            done = new TapeBackupResultSummary(r.DataBytes, r.Crc32C, r.Volumes, r.Digest);
        }, ct).ConfigureAwait(false);

        job.Info($"restored {done!.Bytes} bytes, CRC-32C {done.Crc32C:X8} checked, content digest {done.Digest} " +
            (done.Digest is not null && row.Digest is null ? "(the tape carries none to check it against)" : "checked") + $", from cartridge(s) {string.Join(", ", done.Cartridges)}");
        return done;
    }

    public sealed record TapeBackupResultSummary(long Bytes, uint Crc32C, IReadOnlyList<string> Cartridges, string? Digest = null);
}
