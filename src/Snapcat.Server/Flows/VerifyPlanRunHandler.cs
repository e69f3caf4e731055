using System.Globalization;
using System.Text.Json.Nodes;
using Snapcat.Server.Verify;

namespace Snapcat.Server.Flows;

/// <summary>
/// One run of a verify plan (docs/verify.md): picks the due backups of its scope (<see cref="VerifyPlanner"/>), verifies
/// them one after another in this job (<see cref="VerifyBackupHandler.VerifyAsync"/>, each recorded in the verify history
/// with the plan's name), and writes the report — scope, verified now by outcome, coverage within the window after this
/// run, the due backups skipped — into the plan (<c>verify-plan report</c>), the job's log and its result.
/// Failure policy: a backup that cannot be read is counted failed and the run goes on; a mismatch also lets it go on, but
/// the job fails with <c>digest.mismatch</c> once the report is saved. A cancelled run saves no report.
/// </summary>
public sealed class VerifyPlanRunHandler(ServerRuntime rt)
{
    public async Task<JsonNode?> RunAsync(string name, string trigger, JobContext job)
    {
        var ct = job.CancellationToken;
        var plan = await rt.VerifyPlans.GetAsync(name, ct).ConfigureAwait(false);
        var started = rt.Time.GetUtcNow();
        string window = VerifyPlan.Describe(plan.OlderThan);
        job.Info($"verify plan '{name}' ({trigger}): re-verify backups not verified in the last {window}" +
            (plan.MaxPerRun is { } m ? $", at most {m} per run" : plan.SharePercent is { } s ? $", at most {s.ToString(CultureInfo.InvariantCulture)} % of the scope per run" : "") +
            (plan.Kind is { } k ? $", kind {k}" : "") + (plan.DeviceId is { } d ? $", on {d}" : ""));

        var rows = (await rt.Data.SearchAllAsync(new BackupDataFilter(), ct).ConfigureAwait(false)).ToDictionary(r => r.Id);
        var states = await rt.Verifications.StatesAsync(ct).ConfigureAwait(false);
        var candidates = rows.Values.Select(r => Candidate(r, states)).ToList();
        var selection = VerifyPlanner.Select(candidates, plan, started);
        job.Info($"{selection.InScope.Count} backup(s) in scope, {selection.Due.Count} due; verifying {selection.Picked.Count} now");

        var items = new List<VerifyPlanItem>();
        var verifier = new VerifyBackupHandler(rt);
        int done = 0;
        job.SetProgress(0, selection.Picked.Count);
        foreach (var pick in selection.Picked)
        {
            ct.ThrowIfCancellationRequested();
            var (run, _) = await verifier.VerifyAsync(rows[pick.BackupId], job, plan.Name).ConfigureAwait(false);
            items.Add(new VerifyPlanItem(run.BackupId, run.Outcome, run.Root, run.Error));
            job.SetProgress(++done, selection.Picked.Count);
        }

        var finished = rt.Time.GetUtcNow();
        var after = await rt.Verifications.StatesAsync(CancellationToken.None).ConfigureAwait(false);
        int covered = VerifyPlanner.Covered(selection.InScope.Select(c => c.BackupId), after.ToDictionary(p => p.Key, p => p.Value.Good), plan.OlderThan, finished);
        var report = Report(plan, job.JobId, started, finished, selection, items, covered);
        await rt.VerifyPlans.SetReportAsync(plan.Name, report, CancellationToken.None).ConfigureAwait(false);
        foreach (string line in Lines(report)) job.Info(line);

        if (report.Mismatch > 0)
            throw new SnapcatException(ErrorKind.Conflict, VerifyDiskBackupHandler.MismatchCode,
                $"verify plan '{name}': {report.Mismatch} backup(s) are damaged: " +
                string.Join(", ", items.Where(i => i.Outcome == VerifyOutcome.Mismatch).Select(i => i.BackupId.ToString(CultureInfo.InvariantCulture))) +
                $" (see 'snapcat verify-plan report {name}')");
        return BackupRun.Result(report);
    }

    private VerifyCandidate Candidate(BackupDataRow r, IReadOnlyDictionary<long, (DateTimeOffset? Checked, DateTimeOffset? Good)> states)
    {
        var s = states.TryGetValue(r.Id, out var v) ? v : (null, null);
        return new VerifyCandidate(r.Id, VerifyPlanner.ClassOf(r, rt.Tapes?.LibraryId), r.DeviceId, s.Checked, s.Good);
    }

    public static VerifyPlanReport Report(VerifyPlan plan, string? jobId, DateTimeOffset started, DateTimeOffset finished, VerifySelection selection,
        IReadOnlyList<VerifyPlanItem> items, int covered)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(selection);
        ArgumentNullException.ThrowIfNull(items);
        int Count(string outcome) => items.Count(i => i.Outcome == outcome);
        int scope = selection.InScope.Count;
        double percent = VerifyPlanner.Percent(covered, scope);
        var skipped = selection.Skipped.Select(c => c.BackupId).ToList();
        string summary = string.Create(CultureInfo.InvariantCulture,
            $"coverage {percent:0.#} % ({covered} of {scope}) verified in the last {VerifyPlan.Describe(plan.OlderThan)}; " +
            $"verified now {items.Count}: {Count(VerifyOutcome.Ok)} ok, {Count(VerifyOutcome.Sealed)} sealed, {Count(VerifyOutcome.Mismatch)} mismatch, {Count(VerifyOutcome.Failed)} failed; " +
            $"{skipped.Count} due backup(s) skipped (limit {selection.Limit} per run)");
        return new VerifyPlanReport(plan.Name, jobId, started, finished, (long)plan.OlderThan.TotalSeconds, scope, selection.Due.Count, items.Count,
            Count(VerifyOutcome.Ok), Count(VerifyOutcome.Sealed), Count(VerifyOutcome.Mismatch), Count(VerifyOutcome.Failed), covered, percent,
            items, skipped, summary);
    }

    /// <summary>The report as the job log and the CLI print it.</summary>
    public static IEnumerable<string> Lines(VerifyPlanReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        yield return $"verify plan '{r.Plan}': {r.Summary}";
        foreach (var i in r.Verifications)
            yield return $"  backup {i.BackupId}: {i.Outcome}" + (i.Error is { } e ? $" ({e})" : "");
        if (r.Skipped.Count > 0)
            yield return $"  skipped (due, left for the next run): {string.Join(", ", r.Skipped.Select(s => s.ToString(CultureInfo.InvariantCulture)))}";
    }
}
