using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Snapcat.Server.Jobs;

/// <summary>
/// The server's jobs: running ones live in a <see cref="JobRegistry"/>; each is written to the catalog's job
/// table (job history) when it starts and again when it ends, so it outlives a restart — and a crash leaves a
/// running row that the next start marks interrupted (<see cref="JobReconciler"/>). Lookups try memory, then history.
/// </summary>
public sealed partial class ServerJobs(JobHistoryStore history, ILogger? logger = null, TimeProvider? time = null)
{
    private readonly JobRegistry _registry = new(time);
    private readonly ILogger _log = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    private int _pendingSaves;

    /// <summary>
    /// Raised once per job when it reaches its final state (snapshot, definition or null), before its history row is
    /// saved; the notifier and the /metrics counters listen. Handlers must not throw or block.
    /// </summary>
    public event Action<JobSnapshot, string?>? Finished;

    /// <summary>Raised once a finished job's history row is committed (the state copy refresh listens). Handlers must not throw or block.</summary>
    public event Action<JobSnapshot, string?>? Saved;

    /// <summary>Saves of finished jobs not yet committed (tests wait for zero before reading history).</summary>
    public int PendingSaves => Volatile.Read(ref _pendingSaves);

    public Job Start(string kind, string description, string? definition, Func<JobContext, Task<JsonNode?>> work)
    {
        var self = new TaskCompletionSource<Job>(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = _registry.Start(kind, description, async ctx =>
        {
            // The running row is committed before the work orders anything from an agent or an array, so a
            // crash from here on leaves a row the next start can mark interrupted. No row, no work.
            var me = await self.Task.ConfigureAwait(false);
            await history.SaveAsync(me.Snapshot(), definition, ctx.CancellationToken).ConfigureAwait(false);
            return await work(ctx).ConfigureAwait(false);
        });
        self.SetResult(job);
        LogJobStarted(job.Id, kind, definition ?? "-", description);
        Interlocked.Increment(ref _pendingSaves);
        _ = PersistWhenFinishedAsync(job, definition);
        return job;
    }

    /// <summary>
    /// The agent accepted the order as its job <paramref name="agentJob"/>: stored with the server job at once,
    /// so that after a crash the server can ask the agent how it ended (issue 9.5). A catalog failure here
    /// does not stop the backup; the job log says the link is missing.
    /// </summary>
    public async Task RecordAgentJobAsync(JobContext job, string agentHost, string agentJob)
    {
        try
        {
            await history.RecordAgentJobAsync(job.JobId, agentHost, agentJob, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or IOException)
        {
            job.Warn($"could not store agent job {agentJob} with this job ({ex.Message}); after a server crash its outcome would need 'snapcat catalog rebuild'");
        }
    }

    private async Task PersistWhenFinishedAsync(Job job, string? definition)
    {
        try
        {
            await job.Completion.ConfigureAwait(false);
            Finished?.Invoke(job.Snapshot(), definition);
            LogFinished(job.Snapshot(), definition);
            await history.SaveAsync(job.Snapshot(), definition).ConfigureAwait(false);
            Saved?.Invoke(job.Snapshot(), definition);
        }
        catch (Exception ex)
        {
            // The job's outcome stays readable in memory; only its history row is missing.
            LogSaveFailed(job.Id, ex);
        }
        finally
        {
            Interlocked.Decrement(ref _pendingSaves);
        }
    }

    public async Task<JobSnapshot> GetAsync(string id, CancellationToken ct = default)
    {
        if (TryGetLive(id) is { } live) return live.Snapshot();
        var saved = await history.GetAsync(id, ct).ConfigureAwait(false);
        if (saved is null) Throw.NotFound("job.not_found", $"job '{id}' is not known to this server (see 'snapcat job list')");
        return saved;
    }

    public Job? TryGetLive(string id)
    {
        try { return _registry.Get(id); }
        catch (SnapcatException ex) when (ex.Kind == ErrorKind.NotFound) { return null; }
    }

    /// <summary>Running jobs and history, newest first, each once.</summary>
    public async Task<IReadOnlyList<JobSnapshot>> ListAsync(int limit = 100, CancellationToken ct = default)
    {
        var live = _registry.List();
        var saved = await history.ListAsync(limit, ct).ConfigureAwait(false);
        var ids = live.Select(j => j.Id).ToHashSet(StringComparer.Ordinal);
        return live.Concat(saved.Where(s => !ids.Contains(s.Id))).OrderByDescending(j => j.Created).Take(limit).ToArray();
    }

    public void Cancel(string id)
    {
        var job = TryGetLive(id);
        if (job is null || job.State.IsFinal())
            Throw.Conflict("job.not_running", $"job '{id}' is not running (finished jobs cannot be cancelled)");
        job.Cancel();
    }

    private void LogFinished(JobSnapshot s, string? definition)
    {
        double seconds = ((s.Finished ?? s.Created) - s.Created).TotalSeconds;
        if (s.State == JobState.Succeeded) LogJobSucceeded(s.Id, s.Kind, definition ?? "-", seconds);
        else LogJobFailed(s.Id, s.Kind, definition ?? "-", s.State.ToString().ToLowerInvariant(), seconds, s.ErrorCode ?? "-", s.ErrorMessage ?? "");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} started: {Kind}, definition {Definition}: {Description}")]
    private partial void LogJobStarted(string jobId, string kind, string definition, string description);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} succeeded: {Kind}, definition {Definition}, {DurationSeconds:0.0} s")]
    private partial void LogJobSucceeded(string jobId, string kind, string definition, double durationSeconds);

    // Failed, cancelled or interrupted: what an administrator is looking for, with the code to search for.
    [LoggerMessage(Level = LogLevel.Error, Message = "job {JobId} {State}: {Kind}, definition {Definition}, {DurationSeconds:0.0} s: {ErrorCode}: {ErrorMessage}")]
    private partial void LogJobFailed(string jobId, string kind, string definition, string state, double durationSeconds, string errorCode, string errorMessage);

    [LoggerMessage(Level = LogLevel.Error, Message = "job {JobId} finished but its history row could not be saved")]
    private partial void LogSaveFailed(string jobId, Exception ex);
}
