using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Snapcat.Core.Json;
using Snapcat.Server.Flows;

namespace Snapcat.Server.Jobs;

/// <summary>
/// Issue 9.5, at every start: jobs the catalog still lists as queued or running belonged to a server process
/// that is gone, so they are marked <see cref="JobState.Interrupted"/> before the API answers anyone. Then, in
/// the background, each one whose agent job is known is reconciled with the agent: the server waits for that
/// job (the agent goes on without the server: preprocess, copy, postprocess, volume information) and, when a
/// backup succeeded, records its volume information exactly as the flow would have (FIG. 9 step 2404), once per
/// backup GUID. When the agent no longer knows the job (it restarted too), the array's volume information is
/// read instead (the FIG. 15 rebuild, narrowed to the definition's host, mount point and label).
///
/// Failure policy: an unreachable agent or array is asked again with backoff until the server stops; the row
/// stays 'pending' meanwhile, so a server that crashes again reconciles at its next start. Nothing here
/// cancels or changes the agent's job. Every outcome is logged and appended to the job's log.
/// </summary>
public sealed partial class JobReconciler(ServerRuntime rt)
{
    private readonly ILogger _log = rt.Logs.CreateLogger("snapcat.server.reconcile");

    /// <summary>How often a still-running agent job is looked at.</summary>
    public static TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    public async Task<IReadOnlyList<JobSnapshot>> MarkInterruptedAsync(CancellationToken ct)
    {
        var marked = await rt.History.MarkInterruptedAsync(rt.Time.GetUtcNow(), ct).ConfigureAwait(false);
        foreach (var j in marked) LogInterrupted(j.Id, j.Description);
        return marked;
    }

    public async Task RunAsync(CancellationToken stop)
    {
        IReadOnlyList<JobHistoryStore.PendingReconcile> pending;
        try { pending = await rt.History.PendingReconcilesAsync(stop).ConfigureAwait(false); }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException)
        {
            LogFailed("(all)", ex.Message);
            return;
        }
        await Task.WhenAll(pending.Select(p => ReconcileWithRetryAsync(p, stop))).ConfigureAwait(false);
    }

    private async Task ReconcileWithRetryAsync(JobHistoryStore.PendingReconcile p, CancellationToken stop)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var (lines, result) = await ReconcileAsync(p, stop).ConfigureAwait(false);
                await rt.History.CompleteReconcileAsync(p.Job.Id, lines, result, CancellationToken.None).ConfigureAwait(false);
                foreach (var l in lines) LogReconciled(p.Job.Id, l.Message);
                return;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (SnapcatException ex) when (ex.Kind is ErrorKind.Remote or ErrorKind.Internal)
            {
                LogRetry(p.Job.Id, ex.Message, delay.TotalSeconds);
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or HttpRequestException or IOException)
            {
                LogRetry(p.Job.Id, ex.Message, delay.TotalSeconds);
            }
            try { await Task.Delay(delay, rt.Time, stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
        }
    }

    private async Task<(IReadOnlyList<JobLogEntry> Lines, JsonNode? Result)> ReconcileAsync(JobHistoryStore.PendingReconcile p, CancellationToken stop)
    {
        var lines = new List<JobLogEntry>();
        void Note(string level, string message) => lines.Add(new JobLogEntry(rt.Time.GetUtcNow(), level, "reconciled after restart: " + message));
        var result = new JsonObject { ["reconciled"] = true, ["agentHost"] = p.AgentHost, ["agentJob"] = p.AgentJob };

        if (p.AgentHost is null || p.AgentJob is null)
        {
            // A backup that crashed before its agent job was stored: only the array can tell whether it was taken.
            if (p.Job.Kind != "backup") return (lines, result);
            Note("warn", "no agent job was stored with this job; looking at the array's volume information");
            result["backups"] = new JsonArray((await RecordFromArrayAsync(p, Note, stop).ConfigureAwait(false)).Select(id => (JsonNode)JsonValue.Create(id)).ToArray());
            return (lines, result);
        }
        if (!rt.Remotes.KnowsHost(p.AgentHost))
        {
            Note("warn", $"host {p.AgentHost} is no longer in the server configuration; its job {p.AgentJob} was not asked about");
            return (lines, result);
        }
        var agent = rt.Remotes.AgentFor(p.AgentHost);
        JobSnapshot? final = null;
        try
        {
            // Our own poll: AgentClient.WaitForJobAsync cancels the agent's job when it is cancelled, and a
            // server stopping again must not stop a backup that runs fine without it.
            while (true)
            {
                var a = await agent.GetJobAsync(p.AgentJob, stop).ConfigureAwait(false);
                if (a.State.IsFinal()) { final = a; break; }
                await Task.Delay(PollInterval, rt.Time, stop).ConfigureAwait(false);
            }
        }
        catch (SnapcatException ex) when (ex.Kind == ErrorKind.NotFound)
        {
            Note("warn", $"the agent of {p.AgentHost} no longer knows its job {p.AgentJob} (it restarted); looking at the array's volume information instead");
        }

        result["agentState"] = final is null ? null : SnapcatJson.Name(final.State);
        if (p.Job.Kind != "backup")
        {
            Note(final?.State == JobState.Succeeded ? "info" : "warn",
                final is null ? "the outcome of the agent's part is unknown" : $"the agent's job {p.AgentJob} ended {SnapcatJson.Name(final.State)}" +
                (final.ErrorMessage is { } m ? $": {m}" : ""));
            return (lines, result);
        }

        if (final is not null && final.State != JobState.Succeeded)
        {
            Note("warn", $"the agent's job {p.AgentJob} ended {SnapcatJson.Name(final.State)}: {final.ErrorMessage ?? "no reason given"}; no backup to record");
            return (lines, result);
        }
        var recorded = final is not null
            ? [await RecordFromAgentAsync(agent, final, p, Note).ConfigureAwait(false)]
            : await RecordFromArrayAsync(p, Note, stop).ConfigureAwait(false);
        result["backups"] = new JsonArray(recorded.Select(id => (JsonNode)JsonValue.Create(id)).ToArray());
        return (lines, result);
    }

    /// <summary>FIG. 9 step 2404 as BackupRun.RecordAsync does it, from the agent's job result.</summary>
    private async Task<long> RecordFromAgentAsync(AgentClient agent, JobSnapshot done, JobHistoryStore.PendingReconcile p, Action<string, string> note)
    {
        var result = agent.ResultOf<BackupResultDto>(done);
        var (raw, record) = BackupRun.DecodeVolumeInfo(result, p.AgentHost, "backup");
        long id = await RecordOnceAsync(BackupRows.FromRecord(record, raw, result.DeviceId, result.Volume, BackupOrigin.Backup), note).ConfigureAwait(false);
        if (result.Kind == SnapcatJson.Name(BackupKind.Snapshot)) note("info", "snapshot generations beyond the definition's keep count are deleted at its next run");
        return id;
    }

    /// <summary>The agent forgot the job: the definition's backups on its array taken since the job started.</summary>
    private async Task<IReadOnlyList<long>> RecordFromArrayAsync(JobHistoryStore.PendingReconcile p, Action<string, string> note, CancellationToken ct)
    {
        BackupDefinition d;
        try { d = await rt.Definitions.GetAsync(p.Definition ?? "", ct).ConfigureAwait(false); }
        catch (SnapcatException ex) when (ex.Kind == ErrorKind.NotFound)
        {
            note("warn", $"definition '{p.Definition}' is gone, so its array is unknown; run 'snapcat catalog rebuild' to find the backup");
            return [];
        }
        if (d.KindValue == BackupKind.Tape)
        {
            note("warn", "a tape backup is not on an array; run 'snapcat catalog rebuild' to read the library");
            return [];
        }
        var listing = await rt.Remotes.ArrayFor(d.DeviceId).ListVolumeInfosAsync(ct).ConfigureAwait(false);
        var ids = new List<long>();
        foreach (var v in listing.Volumes)
        {
            if (v.VolumeInfo is null || (d.KindValue == BackupKind.Mirror && v.Number != d.DestinationVolume)) continue;
            byte[] raw = Convert.FromBase64String(v.VolumeInfo);
            if (!VolumeInfoRecord.TryDecode(raw, out var record, out _) || record!.Kind == BackupKind.Catalog) continue;
            // Same host, mount point and label, taken after the job was created (the record's time stamp is the backup's).
            if (record!.Host != d.Host || record.MountPoint != d.MountPoint || record.Label != d.Label || record.Timestamp < p.Job.Created) continue;
            ids.Add(await RecordOnceAsync(BackupRows.FromRecord(record, raw, listing.DeviceId, v.Number, BackupOrigin.Backup), note).ConfigureAwait(false));
        }
        if (ids.Count == 0) note("warn", $"array {d.DeviceId} holds no backup of {d.Host}:{d.MountPoint} '{d.Label}' taken since the job started; nothing recorded");
        return ids;
    }

    /// <summary>Idempotent by backup GUID: a backup already in the catalog (same GUID, same place) is not recorded again.</summary>
    private async Task<long> RecordOnceAsync(BackupDataRow row, Action<string, string> note)
    {
        var same = await rt.Data.SearchAsync(new BackupDataFilter { DeviceId = row.DeviceId, Host = row.Host, MountPoint = row.MountPoint, Limit = 10_000 },
            CancellationToken.None).ConfigureAwait(false);
        if (same.FirstOrDefault(r => r.BackupId == row.BackupId && r.MediaId == row.MediaId) is { } existing)
        {
            note("info", $"backup {existing.Id} (volume {row.MediaId} on {row.DeviceId}, '{row.Label}') is in the catalog already");
            return existing.Id;
        }
        // Not cancellable: the backup exists on the array and must be in the catalog.
        long id = await rt.Data.RecordAsync(row, CancellationToken.None).ConfigureAwait(false);
        note("info", $"recorded backup {id}: volume {row.MediaId} on {row.DeviceId}, '{row.Label}' {row.Timestamp:u}");
        return id;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId} ({Description}) was running when the server stopped; marked interrupted")]
    private partial void LogInterrupted(string jobId, string description);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: {What}")]
    private partial void LogReconciled(string jobId, string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: reconciling failed for now ({Reason}); trying again in {Seconds} s")]
    private partial void LogRetry(string jobId, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "job {JobId}: cannot reconcile: {Reason}")]
    private partial void LogFailed(string jobId, string reason);
}
