namespace Snapcat.Core.Jobs;

/// <summary>
/// A remote job (an array's copy, an agent's backup or restore) relayed into the local job that waits for it:
/// its bytes become ours, and each of its new log lines is handed to <see cref="OnLogLine"/> once, in order
/// (e.g. to copy it into our log with a prefix, or to act on a marker such as the agent's "copy started").
/// Reported synchronously on the polling task: Progress&lt;T&gt; would post to the thread pool and could reorder
/// snapshots, so a marker could be seen after the final state.
/// </summary>
public sealed class RemoteJobRelay(JobContext job) : IProgress<JobSnapshot>
{
    private readonly Lock _gate = new();
    private int _seen;

    /// <summary>Called once per log line of the remote job, in its order; null: lines are not looked at.</summary>
    public Action<JobLogEntry>? OnLogLine { get; init; }

    public void Report(JobSnapshot value)
    {
        ArgumentNullException.ThrowIfNull(value);
        job.SetProgress(value.BytesDone, value.BytesTotal);
        if (OnLogLine is not { } onLine) return;
        lock (_gate)
        {
            for (; _seen < value.Log.Count; _seen++)
                onLine(value.Log[_seen]);
        }
    }
}
