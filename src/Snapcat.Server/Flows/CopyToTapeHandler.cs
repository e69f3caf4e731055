using System.Text.Json.Nodes;
using Snapcat.Server.Tape;

namespace Snapcat.Server.Flows;

/// <summary>
/// FIG. 16, copy of backup data to tape: the server orders the agent of the backup's host to read the backup
/// volume and stream it over the LAN (step 2431); the server writes the management information, then the data
/// (steps 2432 onward, <see cref="TapeCopy"/>), and records a catalog row for the copy (library ID as device ID,
/// VOLSER/NNNN as media ID, origin copy).
///
/// Move = copy, read the copy back (length, block count, CRC-32C against its trailer), record the row, and only
/// then delete the disk backup through the delete flow (FIG. 14). Failure policy: any failure before the delete
/// leaves the disk backup and its row as they were; a copy that failed verification is not recorded (its
/// cartridge space is spent, and a rebuild from tapes would list it, but 'verify' reports it bad).
/// </summary>
public sealed class CopyToTapeHandler(ServerRuntime rt, TapeFlowFaults? faults = null)
{
    public async Task<JsonNode?> RunAsync(long backupId, bool move, JobContext job)
    {
        var ct = job.CancellationToken;
        var library = rt.TapeLibraryOrThrow();
        // The manager selected the backup data (FIG. 6) to copy.
        var row = await BackupRows.GetAsync(rt.Data, backupId, ct).ConfigureAwait(false);
        if (row.DeviceId == library.LibraryId)
            Throw.Invalid("tape.copy.source", $"backup {backupId} is on tape ({row.MediaId}) already; copy a backup held on an array");
        uint volume = BackupRows.Volume(row);
        var agent = rt.Remotes.AgentFor(row.Host);

        // Step 2431: the agent reads the backup volume and streams it to the server.
        job.Info($"streaming backup {backupId} (volume {volume} on {row.DeviceId}) from the agent of {row.Host} to tape library {library.LibraryId}");
        var copy = new TapeCopy(library);
        // The record on tape says it is a tape copy, with the copy's own catalog number, so a rebuild from the
        // tapes restores origin and ID (issues 15.2, 15.7); backup ID unchanged: it is the same backup.
        long copyId = await rt.Data.AllocateIdAsync(ct).ConfigureAwait(false);
        byte[] tapeInfo = (Snapcat.Core.VolumeInformation.VolumeInfoRecord.Decode(row.VolumeInfo) with
        {
            Origin = Snapcat.Core.VolumeInformation.VolumeInfoOrigin.TapeCopy,
            CatalogNumber = (ulong)copyId,
        }).Encode();
        Catalog.BackupDataRow tapeRow;
        long size;
        var stream = await agent.OpenVolumeStreamAsync(row.DeviceId, volume, ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            size = stream.Size;
            job.SetProgress(0, size);
            tapeRow = await copy.CopyToTapeAsync(stream.Data, size, row, tapeInfo, new JobProgress(job, size), ct).ConfigureAwait(false);
        }
        job.Info($"wrote {size} bytes to {tapeRow.MediaId}, content digest {tapeRow.Digest}" +
            (row.Digest is null ? " (the disk backup had none to check it against)" : " (equal to the disk backup's)"));

        if (move)
        {
            if (faults?.BeforeVerify is { } hook) await hook(tapeRow, ct).ConfigureAwait(false);
            var check = await library.VerifyAsync(tapeRow.MediaId, ct).ConfigureAwait(false);
            if (check.DataBytes != size)
                throw new SnapcatException(ErrorKind.Internal, "tape.verify.size", $"the tape copy {tapeRow.MediaId} reads back {check.DataBytes} bytes, expected {size}");
            job.Info($"verified {tapeRow.MediaId}: {check.DataBytes} bytes, CRC-32C {check.Crc32C:X8}");
        }

        // The copy is complete (and verified for a move): record it before anything is deleted.
        long id = await rt.Data.RecordAsync(tapeRow with { Id = copyId }, CancellationToken.None).ConfigureAwait(false);
        job.Info($"recorded the tape copy as backup {id}");
        var result = new JsonObject { ["source"] = backupId, ["copy"] = id, ["deviceId"] = tapeRow.DeviceId, ["mediaId"] = tapeRow.MediaId, ["bytes"] = size };

        if (move)
        {
            await new DeleteBackupHandler(rt).RunAsync(backupId, job).ConfigureAwait(false);
            result["deleted"] = backupId;
        }
        return result;
    }

    internal sealed class JobProgress(JobContext job, long total) : IProgress<long>
    {
        public void Report(long value) => job.SetProgress(value, total);
    }
}
