using System.Text.Json;
using System.Text.Json.Nodes;
using Snapcat.Core.Json;
using Snapcat.Server.Verify;

namespace Snapcat.Server.Flows;

/// <summary>
/// <c>snapcat backup verify ID</c> (issue 13, docs/verify.md): a disk backup is verified on its array
/// (<see cref="VerifyDiskBackupHandler"/>), a tape backup read back (<see cref="VerifyTapeBackupHandler"/>). Every verify is
/// recorded in the verify history, whatever its outcome; a sealed or first good verify gives the catalog row its digest.
/// Failure policy: a mismatch fails the job with <c>digest.mismatch</c> (or <c>tape.checksum_mismatch</c>) after it is
/// recorded, and the notifier sends <c>verify_failed</c>; a verify that could not read the data (outcome failed) fails with
/// the original error. Nothing is changed on the array or the tape.
/// </summary>
public sealed class VerifyBackupHandler(ServerRuntime rt)
{
    /// <summary>Checked now (a 4xx, not a failed job): the backup exists and its medium is reachable by this server.</summary>
    public static async Task<JobSnapshot> StartAsync(ServerRuntime rt, long backupId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rt);
        var row = await BackupRows.GetAsync(rt.Data, backupId, ct).ConfigureAwait(false);
        string where;
        if (rt.Tapes is { } library && row.DeviceId == library.LibraryId) where = $"tape backup {backupId} ({row.MediaId})";
        else
        {
            uint volume = BackupRows.Volume(row);
            rt.Remotes.ArrayFor(row.DeviceId);
            where = $"backup {backupId} (volume {volume} on {row.DeviceId})";
        }
        return rt.Jobs.Start("verify", $"verify {where}", null, ctx => new VerifyBackupHandler(rt).RunAsync(backupId, ctx)).Snapshot();
    }

    public async Task<JsonNode?> RunAsync(long backupId, JobContext job)
    {
        var row = await BackupRows.GetAsync(rt.Data, backupId, job.CancellationToken).ConfigureAwait(false);
        var (run, extra) = await VerifyAsync(row, job, plan: null).ConfigureAwait(false);
        if (run.Outcome == VerifyOutcome.Mismatch)
            throw new SnapcatException(ErrorKind.Conflict, CodeOf(run.Error) ?? VerifyDiskBackupHandler.MismatchCode,
                $"backup {backupId} is damaged: {MessageOf(run.Error)}");
        if (run.Outcome == VerifyOutcome.Failed)
            throw new SnapcatException(ErrorKind.Remote, CodeOf(run.Error) ?? "verify.failed", $"backup {backupId} could not be verified: {MessageOf(run.Error)}");
        var result = (JsonObject)JsonSerializer.SerializeToNode(run.ToDto(), SnapcatJson.Web)!;
        result["backup"] = backupId;
        result["seconds"] = run.Seconds;
        foreach (var (k, v) in extra) result[k] = v?.DeepClone();
        return result;
    }

    /// <summary>
    /// Verifies one backup and records the run; never throws for a bad or unreadable backup (the outcome says it), only for
    /// a cancellation. Shared by the verify job and the verify plan's runs.
    /// </summary>
    public async Task<(VerifyRun Run, JsonObject Extra)> VerifyAsync(BackupDataRow row, JobContext job, string? plan)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(job);
        var started = rt.Time.GetUtcNow();
        VerifyRun run;
        JsonObject extra = [];
        try
        {
            if (rt.Tapes is { } library && row.DeviceId == library.LibraryId)
                (run, extra) = await new VerifyTapeBackupHandler(rt).CheckAsync(row, job, plan).ConfigureAwait(false);
            else
                run = await new VerifyDiskBackupHandler(rt).CheckAsync(row, job, plan).ConfigureAwait(false);
        }
        catch (Exception e) when (!job.CancellationToken.IsCancellationRequested
            && e is SnapcatException or HttpRequestException or IOException or InvalidOperationException)
        {
            var now = rt.Time.GetUtcNow();
            string code = e is SnapcatException s ? s.Code : "verify.failed";
            run = new VerifyRun(row.Id, started, now, VerifyOutcome.Failed, null, row.Digest, 0, (now - started).TotalSeconds, job.JobId, $"{code}: {e.Message}", plan);
        }

        // Not the job's token from here: what was found is recorded whatever happens to the job now.
        if (VerifyOutcome.IsGood(run.Outcome) && row.Digest is null && run.Root is not null)
        {
            await rt.Data.SetDigestAsync(row.Id, run.Root, CancellationToken.None).ConfigureAwait(false);
            job.Info($"backup {row.Id} had no content digest in the catalog; recorded {run.Root}");
        }
        await rt.Verifications.RecordAsync(run, CancellationToken.None).ConfigureAwait(false);
        string line = $"backup {row.Id}: {run.Outcome}" + (run.Root is { } root ? $", digest {root}" : "") +
            (run.ExpectedRoot is { } exp && exp != run.Root ? $", expected {exp}" : "") + $", {run.Bytes} bytes in {run.Seconds:0.0} s" +
            (run.Error is { } err ? $": {err}" : "");
        if (run.Outcome is VerifyOutcome.Mismatch or VerifyOutcome.Failed) job.Error(line);
        else job.Info(line);
        return (run, extra);
    }

    private static string? CodeOf(string? error) => error is { } e && e.IndexOf(": ", StringComparison.Ordinal) is > 0 and var i ? e[..i] : null;

    private static string MessageOf(string? error) => error is { } e && e.IndexOf(": ", StringComparison.Ordinal) is > 0 and var i ? e[(i + 2)..] : error ?? "";
}
