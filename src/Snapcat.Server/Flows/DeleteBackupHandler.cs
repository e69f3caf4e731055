using System.Text.Json.Nodes;
using Snapcat.Core.Json;

namespace Snapcat.Server.Flows;

/// <summary>
/// FIG. 14, delete a backup: the agent of the backup's host deletes it on the array (the volume
/// information of a mirror secondary or copy, the whole snapshot volume), and only then the catalog row
/// goes. Failure policy: if the array side fails, the row stays, so the catalog never forgets a backup
/// that still exists. A host without an agent in the configuration (a row rebuilt from a foreign
/// array) is deleted directly through the array's control API instead.
/// </summary>
public sealed class DeleteBackupHandler(ServerRuntime rt)
{
    public async Task<JsonNode?> RunAsync(long backupId, JobContext job)
    {
        var ct = job.CancellationToken;
        // The manager selected the backup data in the backup data table (FIG. 6).
        var row = await BackupRows.GetAsync(rt.Data, backupId, ct).ConfigureAwait(false);
        // A protected backup is never deleted, by hand or by a prune (docs/retention.md).
        Retention.BackupProtection.EnsureDeletable(row, rt.Time.GetUtcNow());
        if (rt.Tapes is { } tapes && row.DeviceId == tapes.LibraryId)
        {
            // A backup on tape cannot be erased in place: only its row goes. Its files stay on the cartridge until
            // every backup there is gone and 'snapcat tape recycle' labels the cartridge again (issue 15.9).
            await rt.Data.DeleteAtAsync(row.DeviceId, row.MediaId, CancellationToken.None).ConfigureAwait(false);
            job.Info($"deleted the catalog row of tape backup {backupId} ({row.MediaId}); its cartridge can be recycled once no other backup on it is listed");
            return new JsonObject { ["deleted"] = backupId, ["deviceId"] = row.DeviceId, ["mediaId"] = row.MediaId };
        }
        uint volume = BackupRows.Volume(row);
        bool isSnapshotVolume = row.Kind == SnapcatJson.Name(BackupKind.Snapshot) && row.Origin != BackupOrigin.Copy;

        await DeleteOnArrayAsync(row.Host, row.DeviceId, volume, isSnapshotVolume, $"backup {backupId}", job, ct).ConfigureAwait(false);

        // Then the backup server deletes the corresponding entry of the backup data table.
        await rt.Data.DeleteAtAsync(row.DeviceId, row.MediaId, CancellationToken.None).ConfigureAwait(false);
        job.Info($"deleted backup {backupId} ({row.Host}:{row.MountPoint} '{row.Label}' {row.Timestamp:u}) and its catalog row");
        return new JsonObject { ["deleted"] = backupId, ["deviceId"] = row.DeviceId, ["volume"] = volume };
    }

    /// <summary>
    /// The array side of the delete flow (steps 1640/1641) on its own: also used for a tape backup's temporary
    /// snapshot, which never had a catalog row (that cleanup passes CancellationToken.None: it must also run after a cancel).
    /// </summary>
    public async Task DeleteOnArrayAsync(string host, string deviceId, uint volume, bool isSnapshotVolume, string what, JobContext job, CancellationToken ct)
    {
        if (rt.Remotes.KnowsHost(host))
        {
            // Step 1640/1641: the delete command with device ID and volume number goes to the client,
            // which has the array delete the volume information of that volume.
            var agent = rt.Remotes.AgentFor(host);
            job.Info($"asking the agent of {host} to delete {what} (volume {volume} on {deviceId})");
            var started = await agent.StartBackupDeletionAsync(new BackupDeletionOrder(deviceId, volume, isSnapshotVolume), ct).ConfigureAwait(false);
            AgentClient.EnsureSucceeded(await agent.WaitForJobAsync(started.Id, ct: ct).ConfigureAwait(false));
        }
        else
        {
            job.Warn($"host {host} has no agent in the configuration; deleting {what} on array {deviceId} directly");
            var array = rt.Remotes.ArrayFor(deviceId);
            if (isSnapshotVolume) await array.DeleteVolumeAsync(volume, force: false, ct).ConfigureAwait(false);
            else await array.DeleteVolumeInfoAsync(volume, ct).ConfigureAwait(false);
        }
    }
}
