using System.Globalization;
using System.Text.Json.Nodes;

namespace Snapcat.Server.Flows;

/// <summary>
/// Reads a backup on tape back in full and checks its length, block count and CRC-32C against the trailer
/// written at copy time (issue 6, "verify"). A mismatch fails the job with <c>tape.checksum_mismatch</c>.
/// </summary>
public sealed class VerifyTapeBackupHandler(ServerRuntime rt)
{
    public async Task<JsonNode?> RunAsync(long backupId, JobContext job)
    {
        var ct = job.CancellationToken;
        var library = rt.TapeLibraryOrThrow();
        var row = await BackupRows.GetAsync(rt.Data, backupId, ct).ConfigureAwait(false);
        if (row.DeviceId != library.LibraryId)
            Throw.Invalid("verify.not_on_tape", $"backup {backupId} is on {row.DeviceId}, not in tape library {library.LibraryId}; only tape backups carry a data checksum to verify");
        job.Info($"reading tape backup {backupId} ({row.MediaId}) back");
        var r = await library.VerifyAsync(row.MediaId, ct).ConfigureAwait(false);
        job.SetProgress(r.DataBytes, r.DataBytes);
        string crc = r.Crc32C.ToString("X8", CultureInfo.InvariantCulture);
        job.Info($"backup {backupId} verified: {r.DataBytes} bytes, CRC-32C {crc}, cartridge(s) {string.Join(", ", r.Volumes)}");
        return new JsonObject
        {
            ["backup"] = backupId, ["mediaId"] = row.MediaId, ["bytes"] = r.DataBytes, ["crc32c"] = crc,
            ["cartridges"] = new JsonArray(r.Volumes.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
        };
    }
}
