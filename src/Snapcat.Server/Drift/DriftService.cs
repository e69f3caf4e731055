using System.Text.Json;
using Microsoft.Extensions.Logging;
using Snapcat.Server.Jobs;

namespace Snapcat.Server.Drift;

/// <summary>
/// The reconcile of catalog vs arrays vs tape library (docs/drift.md): a server job (kind <c>drift</c>) that runs the
/// <see cref="DriftChecker"/>, stores what it found (<see cref="DriftStore"/>: first and last seen, gone ones cleared) and,
/// when a finding is new, raises <see cref="NewFindings"/> once with the report (the notifier sends <c>drift_found</c>).
/// One reconcile at a time: a second one waits for the first. <see cref="RunScheduleAsync"/> fires it on the
/// <c>drift.schedule</c> of server.json.
/// </summary>
public sealed partial class DriftService(ServerRuntime rt, ServerOperations ops, DriftSettings settings)
{
    private readonly SemaphoreSlim _one = new(1, 1);
    private ILogger Log => rt.Logs.CreateLogger<DriftService>();

    public DriftStore Store { get; } = new(rt.Catalog);
    public DriftFixer Fixer => new(rt, ops, Store) { HasBackupVerify = HasBackupVerify };

    /// <summary>Whether this server answers <c>POST /v1/backups/{id}/verify</c> (set by the API when it maps the routes).</summary>
    public Func<bool> HasBackupVerify { get; set; } = () => false;
    public DriftSettings Settings => settings;

    /// <summary>A reconcile found findings that were not there at the last one. Handlers must not throw or block.</summary>
    public event Action<DriftReport>? NewFindings;

    public JobSnapshot StartReconcile(string trigger) =>
        rt.Jobs.Start("drift", $"drift reconcile of the catalog against the arrays{(rt.Tapes is null ? "" : " and the tape library")} ({trigger})", null,
            async ctx => JsonSerializer.SerializeToNode(await ReconcileAsync(ctx, ctx.CancellationToken).ConfigureAwait(false), Flows.RebuildCatalogFromArrayHandler.Json)).Snapshot();

    public async Task<DriftReport> ReconcileAsync(JobContext? job, CancellationToken ct)
    {
        await _one.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var found = await new DriftChecker(rt, () => ops.AnyRunning).CheckAllAsync(ct).ConfigureAwait(false);
            foreach (var u in found.Unreadable) job?.Warn($"{u.DeviceId}: not read, {u.Error}; its earlier findings are kept");
            var now = rt.Time.GetUtcNow();
            var outcome = await Store.ReplaceAsync(found.Findings, found.Unreadable.Select(u => u.DeviceId).ToHashSet(StringComparer.Ordinal), now, ct).ConfigureAwait(false);
            var report = new DriftReport(now, outcome.Findings, outcome.New, outcome.Cleared, found.Unreadable);
            foreach (var f in outcome.Findings)
                job?.Info($"{f.Id} {f.Kind} {f.Target}: catalog: {f.Catalog}; storage: {f.Storage}; fix: {f.Fix}");
            job?.Info($"drift: {outcome.Findings.Count} finding(s), {outcome.New.Count} new, {outcome.Cleared.Count} cleared, {found.Unreadable.Count} not read");
            LogReconciled(Log, outcome.Findings.Count, outcome.New.Count, outcome.Cleared.Count, found.Unreadable.Count);
            if (outcome.New.Count > 0) NewFindings?.Invoke(report);
            return report;
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>One line for the drift_found notification: how many are new, and each new one's kind, target and ID.</summary>
    public static string Summary(DriftReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var fresh = report.Findings.Where(f => report.New.Contains(f.Id)).ToList();
        string list = string.Join("; ", fresh.Take(20).Select(f => $"{f.Kind} at {f.Target} ({f.Id})")) + (fresh.Count > 20 ? $"; and {fresh.Count - 20} more" : "");
        return $"{fresh.Count} new drift finding(s) of {report.Findings.Count}: {list}. 'snapcat drift list' shows them with their fix";
    }

    /// <summary>Fires the reconcile on the schedule until <paramref name="stop"/>; a failed one is in the job history and the log.</summary>
    public async Task RunScheduleAsync(CancellationToken stop)
    {
        if (!settings.Enabled || !BackupDefinition.TryCron(settings.Schedule, out var cron, out _) || !BackupDefinition.TryZone(settings.TimeZone, out var zone)) return;
        while (!stop.IsCancellationRequested)
        {
            var now = rt.Time.GetUtcNow();
            var next = cron!.GetNextOccurrence(now, zone!);
            if (next is null) return;
            try
            {
                await Task.Delay(next.Value - now, rt.Time, stop).ConfigureAwait(false);
                var job = rt.Jobs.TryGetLive(StartReconcile("scheduled").Id);
                if (job is not null) await job.Completion.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "drift reconcile: {Findings} finding(s), {New} new, {Cleared} cleared, {Unreadable} array(s) not read")]
    private static partial void LogReconciled(ILogger logger, int findings, int @new, int cleared, int unreadable);
}
