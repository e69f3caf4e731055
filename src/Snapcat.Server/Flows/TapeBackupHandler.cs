using System.Text.Json.Nodes;
using Snapcat.Agent.Api;
using Snapcat.Agent.Hooks;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Core.VolumeInformation;
using Snapcat.Server.Catalog;
using Snapcat.Server.Hosting;
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
        string SnapshotDeviceId, uint SnapshotVolume, bool SnapshotDeleted);

    public async Task<JsonNode?> RunAsync(BackupDefinition d, JobContext job)
    {
        var ct = job.CancellationToken;
        var library = rt.TapeLibraryOrThrow();
        var agent = rt.Remotes.AgentFor(d.Host);

        // Step 1: a snapshot backup through the agent, with the definition's hooks around the snapshot only.
        var order = new BackupOrder("snapshot", d.MountPoint, d.Label, null,
            d.PreHook is { } pre ? HookRef.Named(pre) : null, d.PostHook is { } post ? HookRef.Named(post) : null, d.Name);
        var started = await agent.StartBackupAsync(order, ct).ConfigureAwait(false);
        job.Info($"agent of {d.Host} takes the temporary snapshot as job {started.Id}");
        var done = agent.EnsureSucceeded(await agent.WaitForJobAsync(started.Id, ct: ct).ConfigureAwait(false));
        var snap = agent.ResultOf<BackupResultDto>(done);
        job.Info($"temporary snapshot: volume {snap.Volume} on {snap.DeviceId}, taken {snap.Timestamp:O}; the source is thawed");

        Exception? failure = null;
        BackupDataRow? recorded = null;
        long size = 0;
        try
        {
            // Step 2: the record that goes on tape says Tape.
            var snapRecord = DecodeOrThrow(snap, d);
            // Its own catalog number, so a rebuild from the tapes gives the row its ID back (issue 15.7).
            long number = await rt.Data.AllocateIdAsync(ct).ConfigureAwait(false);
            var record = snapRecord with { Kind = BackupKind.Tape, BackupId = Guid.NewGuid(), Origin = VolumeInfoOrigin.Backup, CatalogNumber = (ulong)number };
            byte[] raw = record.Encode();
            var template = BackupRows.FromRecord(record, raw, library.LibraryId, 1, BackupOrigin.Backup);

            if (faults?.BeforeTapeWrite is { } hook) await hook(snap.Volume, ct).ConfigureAwait(false);
            // Step 3: the snapshot volume streamed through the agent into the library.
            job.Info($"streaming snapshot volume {snap.Volume} on {snap.DeviceId} to tape library {library.LibraryId}");
            BackupDataRow tapeRow;
            await using (var stream = await agent.OpenVolumeStreamAsync(snap.DeviceId, snap.Volume, ct).ConfigureAwait(false))
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
        return Result(recorded!, size, snap, deleted);
    }

    private static VolumeInfoRecord DecodeOrThrow(BackupResultDto snap, BackupDefinition d)
    {
        byte[] raw;
        try { raw = Convert.FromBase64String(snap.VolumeInfo); }
        catch (FormatException) { raw = []; }
        if (!VolumeInfoRecord.TryDecode(raw, out var record, out string? reason))
            Throw.Remote("agent.bad_volume_info", $"the agent of {d.Host} reported a snapshot whose volume information {reason}");
        return record!;
    }

    private static JsonNode? Result(BackupDataRow row, long size, BackupResultDto snap, bool deleted) =>
        System.Text.Json.JsonSerializer.SerializeToNode(
            new Outcome(row.Id, row.DeviceId, row.MediaId, row.Label, row.Timestamp, size, snap.DeviceId, snap.Volume, deleted),
            new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));
}
