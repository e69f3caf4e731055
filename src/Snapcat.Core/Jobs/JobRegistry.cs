using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Snapcat.Core.Errors;

namespace Snapcat.Core.Jobs;

/// <summary>
/// The jobs of one daemon. Runs each job's work on the thread pool and keeps finished jobs for
/// <see cref="Retention"/> so that pollers can read the outcome. In memory only: a daemon that restarts
/// reports the jobs it lost through its own durable state (e.g. the array's copy records).
/// </summary>
public sealed class JobRegistry(TimeProvider? time = null)
{
    private readonly ConcurrentDictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(24);

    public Job Start(string kind, string description, Func<JobContext, Task<JsonNode?>> work)
    {
        Prune();
        var job = new Job(NewId(), kind, description, _time);
        _jobs[job.Id] = job;
        _ = Task.Run(async () =>
        {
            job.MarkRunning();
            try
            {
                JsonNode? result = await work(new JobContext(job)).ConfigureAwait(false);
                job.Finish(JobState.Succeeded, result, null);
            }
            catch (OperationCanceledException ex) when (job.CancellationToken.IsCancellationRequested)
            {
                job.Finish(JobState.Cancelled, null, ex);
            }
            catch (Exception ex)
            {
                job.Finish(JobState.Failed, null, ex);
            }
        });
        return job;
    }

    public Job Get(string id)
    {
        if (!_jobs.TryGetValue(id, out var job))
            Throw.NotFound("job.not_found", $"job '{id}' is not known here (finished jobs are kept for {Retention.TotalHours:0} h)");
        return job;
    }

    public IReadOnlyList<JobSnapshot> List() =>
        _jobs.Values.Select(j => j.Snapshot()).OrderBy(s => s.Created).ToArray();

    private void Prune()
    {
        var cutoff = _time.GetUtcNow() - Retention;
        foreach (var (id, job) in _jobs)
            if (job.Snapshot() is { Finished: { } f } && f < cutoff)
                _jobs.TryRemove(id, out _);
    }

    private static string NewId() => "j-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
}
