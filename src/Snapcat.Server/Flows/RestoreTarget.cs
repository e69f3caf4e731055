using Snapcat.Contracts.Array;

namespace Snapcat.Server.Flows;

/// <summary>
/// Where a volume restore of a disk backup goes (issue 15.1). Without <c>--to-device/--to-volume</c>: onto the
/// backup's own primary, through the agent of its host (FIG. 12). With them: onto that volume — which may be the
/// primary again (then FIG. 12 as well), or another volume of the same or another array, written by the array's
/// volume copy (FIG. 19) and never through the production primary. Checked before the job starts, so a bad target
/// is a 4xx answer and nothing is written.
/// </summary>
public sealed record RestoreTarget(string DeviceId, uint Volume, bool IsPrimary, VolumeDto? Details)
{
    public static async Task<RestoreTarget?> CheckAsync(ServerRuntime rt, BackupDataRow row, uint backupVolume, RestoreRequest request, CancellationToken ct)
    {
        bool named = request.DeviceId is { Length: > 0 } || request.Volume is not null;
        if (!named) return null;
        if (request.Files is { Count: > 0 })
            Throw.Invalid("restore.target_with_files",
                "--files copies chosen files into a directory (--destination); --to-device and --to-volume name a volume for a whole-volume restore");
        if (request.DeviceId is not { Length: > 0 } || request.Volume is not > 0)
            Throw.Invalid("restore.target", "name the target with both the array (device ID) and the volume number, e.g. --to-device ARRAY-01 --to-volume 5");
        string device = request.DeviceId;
        uint number = request.Volume!.Value;
        var array = rt.Remotes.ArrayFor(device);   // array.unknown: not in the server configuration
        if (device == row.DeviceId && number == backupVolume)
            Throw.Invalid("restore.target_is_backup_volume",
                $"volume {number} on {device} is backup {row.Id} itself; a backup cannot be restored onto its own volume. " +
                "Name another volume, or leave out --to-device/--to-volume to restore onto the backup's primary");

        VolumeDto target;
        try { target = await array.GetVolumeAsync(number, ct).ConfigureAwait(false); }
        catch (SnapcatException ex) when (ex.Kind == ErrorKind.NotFound)
        {
            throw new SnapcatException(ErrorKind.NotFound, "restore.target_unknown",
                $"array {device} has no volume {number} to restore onto (see 'snapcat array volume list'); create one of the backup's size first", ex);
        }

        // The backup's own primary, named explicitly: the ordinary FIG. 12 restore with its checks and hooks.
        if (VolumeInfoRecord.TryDecode(row.VolumeInfo, out var info, out _) && info!.SourceDeviceId == device && info.SourceVolume == number)
            return new RestoreTarget(device, number, IsPrimary: true, target);

        if (request.PreHook is { Length: > 0 } || request.PostHook is { Length: > 0 })
            Throw.Invalid("restore.target_hooks",
                $"the pre/postprocess hooks belong to {row.Host}:{row.MountPoint}; volume {number} on {device} is not that mount point, so none are run for it");
        if (target.Kind == "snapshot")
            Throw.Invalid("restore.target_snapshot", $"volume {number} on {device} is a snapshot and cannot be written; name a plain volume");
        var source = await rt.Remotes.ArrayFor(row.DeviceId).GetVolumeAsync(backupVolume, ct).ConfigureAwait(false);
        if (source.Size != target.Size)
            Throw.Invalid("restore.target_size", $"backup {row.Id} is {source.Size} bytes but volume {number} on {device} has {target.Size}; the target must be the same size");
        // Not even --force overwrites a protected backup (docs/retention.md).
        if (target.HasVolumeInfo) await Retention.BackupProtection.EnsureNotProtectedAtAsync(rt, device, number, ct).ConfigureAwait(false);
        if (target.HasVolumeInfo && !request.Force)
            Throw.Conflict("restore.target_holds_backup",
                $"volume {number} on {device} holds a backup (it has volume information); choose another volume, or pass --force to overwrite that backup");
        if (device != row.DeviceId && target.Assignments.Count == 0)
            Throw.Invalid("restore.target_not_assigned",
                $"volume {number} on {device} has no data port; array {row.DeviceId} writes to another array through a port/LUN, so assign one first ('snapcat array assign')");
        return new RestoreTarget(device, number, IsPrimary: false, target);
    }
}
