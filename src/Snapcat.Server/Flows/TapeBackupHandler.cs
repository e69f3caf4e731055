using System.Text.Json.Nodes;
using Snapcat.Server.Tape;

namespace Snapcat.Server.Flows;

/// <summary>
/// A backup definition of kind <c>tape</c>: the source volume is frozen only as long as a snapshot takes, and the
/// snapshot is what goes to tape.
///
///   1 the agent runs its snapshot backup flow (FIG. 18): preprocess → snapshot → postprocess → volume information
///     on the snapshot; the freeze ends with the postprocess, before any byte goes to tape
///   2 the tape backup's record is built from the snapshot's: kind Tape, a new backup ID, label, host, mount point,
///     time stamp (the snapshot's moment) and source volume kept
///   3 the agent streams the snapshot volume to the server, which writes management information (this record and
///     its row), data and trailer to the library (<see cref="TapeCopy.BackupToTapeAsync"/>)
///   4 the tape row (kind tape, library ID, VOLSER/NNNN) is recorded
///   5 the temporary snapshot is deleted through the delete flow's array side (agent: volume information, then volume)
///
/// Failure policy: the snapshot never gets a catalog row (it is not a backup anyone keeps), and step 5 runs on
/// every path once step 1 returned a snapshot — after a failed or cancelled tape write too, with
/// CancellationToken.None; the log says so. If that delete itself fails, the job says which volume is left (a
/// catalog rebuild from the array would list it as a snapshot backup, and 'snapcat backup delete' removes it). A
/// failed tape write leaves its files on the cartridge without trailer (listed as incomplete) and records nothing.
/// </summary>
public sealed class TapeBackupHandler(ServerRuntime rt, TapeFlowFaults? faults = null)
{
    public sealed record Outcome(long BackupId, string DeviceId, string MediaId, string Label, DateTimeOffset Timestamp, long Bytes,
        string SnapshotDeviceId, uint SnapshotVolume, bool SnapshotDeleted, IReadOnlyList<long>? DeletedGenerations = null);

    public async Task<JsonNode?> RunAsync(BackupDefinition d, JobContext job)
    {
        var ct = job.CancellationToken;
        var library = rt.TapeLibraryOrThrow();

        // Step 1: a snapshot backup through the agent, with the definition's hooks around the snapshot only. Its job is not
        // remembered for crash recovery: the snapshot is temporary and never gets a row of its own.
        var run = await BackupRun.OrderAsync(rt, d, BackupKind.Snapshot, catalogued: false, "takes the temporary snapshot", job).ConfigureAwait(false);
        var agent = run.Agent;
        var done = AgentClient.EnsureSucceeded(await agent.WaitForJobAsync(run.Started.Id, ct: ct).ConfigureAwait(false));
        var snap = agent.ResultOf<BackupResultDto>(done);
        job.Info($"temporary snapshot: volume {snap.Volume} on {snap.DeviceId}, taken {snap.Timestamp:O}; the source is thawed");

        Exception? failure = null;
        BackupDataRow? recorded = null;
        long size = 0;
        try
        {
            // Step 2: the record that goes on tape says Tape.
            var (_, snapRecord) = BackupRun.DecodeVolumeInfo(snap, d.Host, "snapshot");
            // Its own catalog number, so a rebuild from the tapes gives the row its ID back (issue 15.7).
            long number = await rt.Data.AllocateIdAsync(ct).ConfigureAwait(false);
            var record = snapRecord with { Kind = BackupKind.Tape, BackupId = Guid.NewGuid(), Origin = VolumeInfoOrigin.Backup, CatalogNumber = (ulong)number };
            byte[] raw = record.Encode();
            var template = BackupRows.FromRecord(record, raw, library.LibraryId, 1, BackupOrigin.Backup);

            if (faults?.BeforeTapeWrite is { } hook) await hook(snap.Volume, ct).ConfigureAwait(false);
            // Step 3: the snapshot volume streamed through the agent into the library.
            job.Info($"streaming snapshot volume {snap.Volume} on {snap.DeviceId} to tape library {library.LibraryId}");
            BackupDataRow tapeRow;
            var stream = await agent.OpenVolumeStreamAsync(snap.DeviceId, snap.Volume, ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                size = stream.Size;
                job.SetProgress(0, size);
                tapeRow = await new TapeCopy(library).BackupToTapeAsync(stream.Data, size, template, raw,
                    new CopyToTapeHandler.JobProgress(job, size), ct).ConfigureAwait(false);
            }

            // Step 4: on tape in full (trailer written): into the catalog, not cancellable from here.
            long id = await rt.Data.RecordAsync(tapeRow with { Id = number }, CancellationToken.None).ConfigureAwait(false);
            recorded = tapeRow with { Id = id };
            job.Info($"recorded tape backup {id}: {size} bytes at {tapeRow.MediaId}, '{record.Label}' {record.Timestamp:u}, backup ID {record.BackupId}");
        }
        catch (Exception e)
        {
            failure = e;
            job.Warn($"the tape write failed ({e.Message}); deleting the temporary snapshot anyway");
        }

        // Step 5: the temporary snapshot goes, whatever happened to the tape write.
        bool deleted = false;
        try
        {
            await new DeleteBackupHandler(rt).DeleteOnArrayAsync(d.Host, snap.DeviceId, snap.Volume, isSnapshotVolume: true,
                "the temporary snapshot", job, CancellationToken.None).ConfigureAwait(false);
            deleted = true;
            job.Info($"deleted the temporary snapshot (volume {snap.Volume} on {snap.DeviceId})");
        }
        catch (Exception e) when (e is SnapcatException or HttpRequestException or TaskCanceledException)
        {
            job.Warn($"could not delete the temporary snapshot volume {snap.Volume} on {snap.DeviceId}: {e.Message}; " +
                "a catalog rebuild lists it as a snapshot backup, delete it with 'snapcat backup delete'");
        }
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        // The definition's retention (if any) over its tape backups: their rows go; cartridges are recycled as ever.
        var pruned = await new PruneHandler(rt).PruneAfterRunAsync(d, job).ConfigureAwait(false);
        return Result(recorded!, size, snap, deleted, pruned);
    }

    private static JsonNode? Result(BackupDataRow row, long size, BackupResultDto snap, bool deleted, IReadOnlyList<long> pruned) =>
        BackupRun.Result(new Outcome(row.Id, row.DeviceId, row.MediaId, row.Label, row.Timestamp, size, snap.DeviceId, snap.Volume, deleted, pruned));
}
