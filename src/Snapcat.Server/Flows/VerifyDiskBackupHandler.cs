using System.Globalization;
using Snapcat.Contracts.Array;
using Snapcat.Server.Verify;

namespace Snapcat.Server.Flows;

/// <summary>
/// Verify of a backup held on an array (issue 13): the array reads the volume and compares its digest with the one it
/// keeps (<c>POST /v1/volumes/{n}/verify</c>); no data crosses the network. First the volume's information must still
/// name the backup (a volume reused for another backup is a failed verify, not a mismatch). Then <see cref="Judge"/>.
/// </summary>
public sealed class VerifyDiskBackupHandler(ServerRuntime rt)
{
    public async Task<VerifyRun> CheckAsync(BackupDataRow row, JobContext job, string? plan)
    {
        ArgumentNullException.ThrowIfNull(row);
        var ct = job.CancellationToken;
        var started = rt.Time.GetUtcNow();
        uint volume = BackupRows.Volume(row);
        var array = rt.Remotes.ArrayFor(row.DeviceId);
        byte[]? info = await array.GetVolumeInfoAsync(volume, ct).ConfigureAwait(false);
        if (info is null || !VolumeInfoRecord.TryDecode(info, out var record, out _) || record!.BackupId != row.BackupId)
            Throw.Conflict("verify.volume_changed",
                $"volume {volume} on {row.DeviceId} no longer holds backup {row.Id} ({row.BackupId}): " +
                (info is null ? "it has no volume information" : "its volume information names another backup") + "; see 'snapcat catalog rebuild'");

        job.Info($"verifying backup {row.Id} on its array: volume {volume} on {row.DeviceId} (array-side, no data over the network)");
        var order = await array.StartVerifyAsync(volume, ct).ConfigureAwait(false);
        var done = ArrayClient.EnsureSucceeded(await array.WaitForJobAsync(order.Id, new RemoteJobRelay(job), ct: ct).ConfigureAwait(false));
        var result = array.ResultOf<VolumeVerifyResult>(done);
        var (outcome, expected, error) = Judge(row.Digest, result);
        return new VerifyRun(row.Id, started, rt.Time.GetUtcNow(), outcome, result.Root, expected, result.Bytes, result.Seconds, job.JobId, error, plan);
    }

    /// <summary>
    /// The verdict from the catalog row's digest and the array's answer. Sealed by the array (it had none): ok when the
    /// catalog's digest equals the new one, sealed when the catalog had none either, else a mismatch. Compared by the
    /// array: a mismatch when the array's digest differs, or when it matched but the catalog's differs; else ok.
    /// </summary>
    public static (string Outcome, string? Expected, string? Error) Judge(string? catalogDigest, VolumeVerifyResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.Sealed)
        {
            if (catalogDigest is null) return (VerifyOutcome.Sealed, null, null);
            return catalogDigest == r.Root
                ? (VerifyOutcome.Ok, catalogDigest, null)
                : (VerifyOutcome.Mismatch, catalogDigest, $"{MismatchCode}: volume {r.Volume} has content digest {r.Root}, but the catalog recorded {catalogDigest} (the array had lost its own)");
        }
        if (!r.Matched)
            return (VerifyOutcome.Mismatch, r.ExpectedRoot,
                $"{MismatchCode}: volume {r.Volume} has content digest {r.Root}, but {r.ExpectedRoot} was recorded" +
                (r.DifferingOffsets.Count > 0 ? $"; first differing chunk(s) at byte offset(s) {string.Join(", ", r.DifferingOffsets.Select(o => o.ToString(CultureInfo.InvariantCulture)))}" : ""));
        if (catalogDigest is not null && catalogDigest != r.Root)
            return (VerifyOutcome.Mismatch, catalogDigest, $"{MismatchCode}: volume {r.Volume} matches the array's digest {r.Root}, but the catalog recorded {catalogDigest}");
        return (VerifyOutcome.Ok, catalogDigest ?? r.ExpectedRoot, null);
    }

    public const string MismatchCode = "digest.mismatch";
}
