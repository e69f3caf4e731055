using System.Globalization;
using System.Text.Json.Nodes;
using Snapcat.Server.Verify;

namespace Snapcat.Server.Flows;

/// <summary>
/// Reads a backup on tape back in full (issue 6, "verify"; issue 13): length, block count and CRC-32C against the
/// trailer written at copy time, and the content digest of what was read against the one the tape carries (trailer,
/// management information) and the catalog row's. A tape written before digests carries none: with no catalog digest
/// either, the verify seals (the row gets the digest read now). Damage is a <c>mismatch</c> (<c>digest.mismatch</c>, or
/// <c>tape.checksum_mismatch</c> on a tape without digest); the job (<see cref="VerifyBackupHandler"/>) then fails.
/// </summary>
public sealed class VerifyTapeBackupHandler(ServerRuntime rt)
{
    /// <summary>The verify as a job of its own (the older route; the same as <see cref="VerifyBackupHandler"/> for a tape backup).</summary>
    public Task<JsonNode?> RunAsync(long backupId, JobContext job) => new VerifyBackupHandler(rt).RunAsync(backupId, job);

    public async Task<(VerifyRun Run, JsonObject Extra)> CheckAsync(BackupDataRow row, JobContext job, string? plan)
    {
        ArgumentNullException.ThrowIfNull(row);
        var ct = job.CancellationToken;
        var library = rt.TapeLibraryOrThrow();
        if (row.DeviceId != library.LibraryId)
            Throw.Invalid("verify.not_on_tape", $"backup {row.Id} is on {row.DeviceId}, not in tape library {library.LibraryId}");
        var started = rt.Time.GetUtcNow();
        job.Info($"reading tape backup {row.Id} ({row.MediaId}) back");
        Snapcat.Tape.Backup.TapeBackupResult r;
        try
        {
            r = await library.VerifyAsync(row.MediaId, ct).ConfigureAwait(false);
        }
        catch (SnapcatException e) when (e.Code is VerifyDiskBackupHandler.MismatchCode or "tape.checksum_mismatch")
        {
            // The data read back is not what was written: the tape is damaged (its labels still read).
            var now = rt.Time.GetUtcNow();
            return (new VerifyRun(row.Id, started, now, VerifyOutcome.Mismatch, null, row.Digest, 0, (now - started).TotalSeconds, job.JobId,
                $"{e.Code}: {e.Message}", plan), new JsonObject { ["mediaId"] = row.MediaId });
        }
        job.SetProgress(r.DataBytes, r.DataBytes);
        string crc = r.Crc32C.ToString("X8", CultureInfo.InvariantCulture);
        var finished = rt.Time.GetUtcNow();
        string outcome;
        string? expected = row.Digest ?? r.RecordedDigest, error = null;
        if (row.Digest is not null && row.Digest != r.Digest)
        {
            outcome = VerifyOutcome.Mismatch;
            error = $"{VerifyDiskBackupHandler.MismatchCode}: tape backup {row.MediaId} reads back with content digest {r.Digest}, but the catalog recorded {row.Digest}" +
                (r.RecordedDigest is { } t ? $" (the tape carries {t})" : "");
        }
        else outcome = expected is null ? VerifyOutcome.Sealed : VerifyOutcome.Ok;
        job.Info($"backup {row.Id} read back: {r.DataBytes} bytes, CRC-32C {crc}, content digest {r.Digest}" +
            (r.RecordedDigest is null ? " (the tape carries no digest: written before digests)" : $" (the tape carries {r.RecordedDigest})") +
            $", cartridge(s) {string.Join(", ", r.Volumes)}");
        var extra = new JsonObject
        {
            ["mediaId"] = row.MediaId, ["crc32c"] = crc, ["tapeDigest"] = r.RecordedDigest,
            ["cartridges"] = new JsonArray(r.Volumes.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
        };
        return (new VerifyRun(row.Id, started, finished, outcome, r.Digest, expected, r.DataBytes, (finished - started).TotalSeconds, job.JobId, error, plan), extra);
    }
}
