namespace Snapcat.Server.Flows;

/// <summary>
/// Orphan snapshots (issue 9.6): snapshot volumes that carry no volume information. A snapshot exists on an
/// array only as a backup, so one without its record is what a backup run leaves when it dies between taking
/// the snapshot and writing the record (agent killed, array gone in that instant). Nothing can identify it, no
/// rebuild imports it, and it holds copy-on-write space: it is listed (also in every rebuild report) and, when
/// asked, deleted. Ordinary volumes without a record (primaries, spare secondaries) are never orphans.
/// Failure policy of the delete: each orphan is checked again on the array just before (still a snapshot, still
/// without volume information, not assigned to a port), and nothing is deleted while a backup run of this
/// server is going, whose snapshot may be between those two steps right now.
/// </summary>
public sealed class OrphanSnapshotsHandler(ServerRuntime rt)
{
    public async Task<OrphanReport> RunAsync(OrphanRequest request, Func<bool> backupRunning, CancellationToken ct = default)
    {
        var devices = request.DeviceIds is { Count: > 0 } d ? d : rt.Remotes.DeviceIds.Order(StringComparer.Ordinal).ToArray();
        foreach (string device in devices) rt.Remotes.ArrayFor(device);
        if (request.Delete && backupRunning())
            Throw.Conflict("orphans.backup_running",
                "a backup run is going; its snapshot may not have its volume information yet. Delete orphans when no backup runs (see 'snapcat job list').");
        var orphans = new List<OrphanSnapshot>();
        var deleted = new List<OrphanSnapshot>();
        var unreadable = new List<ArrayProblem>();
        foreach (string device in devices)
        {
            try
            {
                var array = rt.Remotes.ArrayFor(device);
                var listing = await array.ListVolumeInfosAsync(ct).ConfigureAwait(false);
                if (listing.DeviceId != device)
                    Throw.Conflict("rebuild.device_mismatch", $"the array configured as {device} ({array.BaseUrl}) answers as {listing.DeviceId}");
                foreach (var v in listing.Volumes.Where(v => v.Kind == "snapshot" && v.VolumeInfo is null))
                {
                    var volume = await array.GetVolumeAsync(v.Number, ct).ConfigureAwait(false);
                    var orphan = new OrphanSnapshot(device, v.Number, volume.SourceVolume, volume.Created, volume.Size);
                    if (!request.Delete) { orphans.Add(orphan); continue; }
                    // Checked again right before: a record written since, or an assignment, makes it no orphan to delete.
                    if (volume.Kind != "snapshot" || volume.HasVolumeInfo || volume.Assignments.Count > 0
                        || await array.GetVolumeInfoAsync(v.Number, ct).ConfigureAwait(false) is not null)
                    {
                        orphans.Add(orphan);
                        continue;
                    }
                    await array.DeleteVolumeAsync(v.Number, force: false, ct).ConfigureAwait(false);
                    deleted.Add(orphan);
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is SnapcatException or HttpRequestException or TaskCanceledException or IOException)
            {
                unreadable.Add(new ArrayProblem(device, e is SnapcatException se ? $"{se.Message} ({se.Code})" : e.Message));
            }
        }
        return new OrphanReport(orphans, deleted, unreadable);
    }
}
