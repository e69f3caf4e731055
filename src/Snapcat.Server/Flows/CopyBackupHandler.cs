using System.Text.Json.Nodes;
using Snapcat.Contracts.Array;

namespace Snapcat.Server.Flows;

/// <summary>
/// FIG. 19, copy a backup volume to another volume of the same or another array: the source array
/// copies data and volume information (steps 3640-3648); on success the server adds the destination
/// to the backup data table. The row is made from the volume information read back from the
/// destination, rewritten to say origin copy with the copy's own catalog number (record version 2), so it says
/// exactly what a later rebuild would find there.
/// </summary>
public sealed class CopyBackupHandler(ServerRuntime rt)
{
    public async Task<JsonNode?> RunAsync(long backupId, CopyRequest to, JobContext job)
    {
        var ct = job.CancellationToken;
        // The manager selects the copy source backup data and the destination volume.
        var row = await BackupRows.GetAsync(rt.Data, backupId, ct).ConfigureAwait(false);
        uint source = BackupRows.Volume(row);
        bool otherArray = to.DeviceId is { Length: > 0 } d && d != row.DeviceId;
        if (otherArray && (to.Port is null || to.Lun is null))
            Throw.Invalid("copy.destination",
                $"a copy to another array ({to.DeviceId}) needs the destination volume's data port and LUN there (--port, --lun); assign it on that array first");
        if (!otherArray && to.Volume is null)
            Throw.Invalid("copy.destination", "name the destination volume on the same array (--to N), or another array with --to-array, --port and --lun");
        if (!otherArray && to.Volume == source)
            Throw.Invalid("copy.same_volume", $"backup {backupId} is on volume {source} already; choose another destination volume");

        string destDevice = otherArray ? to.DeviceId! : row.DeviceId;
        var destArray = rt.Remotes.ArrayFor(destDevice);
        uint destVolume = otherArray ? (await destArray.GetLunAsync(to.Port!, to.Lun!.Value, ct).ConfigureAwait(false)).Volume : to.Volume!.Value;
        // The copy overwrites the destination: a protected backup there is never overwritten (docs/retention.md).
        await Retention.BackupProtection.EnsureNotProtectedAtAsync(rt, destDevice, destVolume, ct).ConfigureAwait(false);

        // Step 3640: the volume copy command goes to the array that holds the source.
        var sourceArray = rt.Remotes.ArrayFor(row.DeviceId);
        var order = otherArray
            ? new VolumeCopyOrder(source, null, destDevice, to.Port, to.Lun)
            : new VolumeCopyOrder(source, destVolume);
        job.Info($"copying backup {backupId} (volume {source} on {row.DeviceId}) to volume {destVolume} on {destDevice}");
        var started = await sourceArray.StartVolumeCopyAsync(order, ct).ConfigureAwait(false);
        var done = await sourceArray.WaitForJobAsync(started.Id, new RemoteJobRelay(job), ct: ct).ConfigureAwait(false);
        // Steps 3644/3649: a copy error ends here, with nothing recorded.
        ArrayClient.EnsureSucceeded(done);

        // Step 3648: success — add the entry of the copy destination volume to the backup data table.
        byte[]? raw = await destArray.GetVolumeInfoAsync(destVolume, CancellationToken.None).ConfigureAwait(false);
        if (raw is null)
            Throw.Remote("copy.no_volume_info", $"the copy finished but volume {destVolume} on {destDevice} has no volume information");
        // The array copied the source's record byte for byte. The copy says it is a copy, with its own catalog
        // number, in its own record: after a catalog loss a rebuild must still know it is no snapshot generation
        // (issue 15.2) and give it back its ID (issue 15.7). Same backup ID: it is the same backup.
        var copied = BackupRows.FromRecord(raw, destDevice, destVolume);
        // The digest on arrival (issue 13): the destination's, as the array computed it while copying, must be the
        // source backup's. A different one is a failed copy: its record goes again and nothing is recorded.
        var arrived = await Verify.DigestRecorder.FetchAsync(destArray, destDevice, destVolume, job).ConfigureAwait(false);
        if (arrived is not null && row.Digest is not null && arrived.Root != row.Digest)
        {
            await destArray.DeleteVolumeInfoAsync(destVolume, CancellationToken.None).ConfigureAwait(false);
            Throw.Conflict("digest.mismatch",
                $"the copy of backup {backupId} on volume {destVolume} of {destDevice} has content digest {arrived.Root}, but the backup's is {row.Digest}; " +
                "the copy is not recorded and its volume information was removed");
        }
        long id = await rt.Data.AllocateIdAsync(CancellationToken.None).ConfigureAwait(false);
        var record = VolumeInfoRecord.Decode(raw) with { Origin = VolumeInfoOrigin.Copy, CatalogNumber = (ulong)id };
        raw = record.Encode();
        await destArray.PutVolumeInfoAsync(destVolume, raw, CancellationToken.None).ConfigureAwait(false);
        var copyRow = BackupRows.FromRecord(record, raw, destDevice, destVolume, BackupOrigin.Copy) with { Digest = arrived?.Root ?? row.Digest };
        if (copied.BackupId != row.BackupId)
            job.Warn($"volume {destVolume} on {destDevice} holds backup {copied.BackupId} after the copy, not {row.BackupId}; recorded as its record says");
        id = await rt.Data.RecordAsync(copyRow, CancellationToken.None).ConfigureAwait(false);
        job.Info($"recorded the copy as backup {id}" + (copyRow.Digest is { } dg ? $", content digest {dg}" + (arrived is null ? " (the source's; the array gave none)" : "") : ""));
        return new JsonObject { ["source"] = backupId, ["copy"] = id, ["deviceId"] = destDevice, ["volume"] = destVolume };
    }
}
