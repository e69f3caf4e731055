using System.Text.Json.Nodes;
using Snapcat.Core.Errors;

namespace Snapcat.Core.Jobs;

/// <summary>
/// One long-running operation. Work reports progress and log lines through <see cref="JobContext"/>;
/// readers take <see cref="Snapshot"/>s. Thread-safe; all mutation goes through one lock because
/// progress updates are rare next to the I/O they describe.
/// </summary>
public sealed class Job
{
    private readonly object _gate = new();
    private readonly List<JobLogEntry> _log = [];
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _cts = new();
    private JobState _state = JobState.Queued;
    private long _done, _total;
    private DateTimeOffset? _finishedAt;
    private string? _errorCode, _errorMessage;
    private JsonNode? _result;
    private DateTimeOffset? _startedAt;
    // Progress samples of the last RateWindow, oldest first: the rate is taken over them, so a job that
    // slows down (or stalls) shows it within seconds instead of averaging it away.
    private readonly Queue<(DateTimeOffset Time, long Done)> _samples = new();
    private long _lastSampleDone;
    private DateTimeOffset _lastSampleTime;

    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);
    /// <summary>Below this span the window says little; the average since the start is used instead.</summary>
    private static readonly TimeSpan ShortestSpan = TimeSpan.FromMilliseconds(500);

    internal Job(string id, string kind, string description, TimeProvider time)
    {
        Id = id;
        Kind = kind;
        Description = description;
        Time = time;
        Created = time.GetUtcNow();
    }

    public string Id { get; }
    public string Kind { get; }
    public string Description { get; }
    public DateTimeOffset Created { get; }
    internal TimeProvider Time { get; }
    internal CancellationToken CancellationToken => _cts.Token;

    public JobState State { get { lock (_gate) return _state; } }

    /// <summary>Completes when the job reaches a final state (never faults).</summary>
    public Task Completion => _finished.Task;

    public void Cancel() => _cts.Cancel();

    public JobSnapshot Snapshot()
    {
        lock (_gate)
        {
            double? rate = Rate(Time.GetUtcNow());
            double? eta = _finishedAt is null && _total > 0 && rate is > 0 ? Math.Max(0, (_total - _done) / rate.Value) : null;
            return new JobSnapshot(Id, Kind, Description, _state, _done, _total, Created, _finishedAt,
                _errorCode, _errorMessage, _log.ToArray(), _result?.DeepClone())
            { BytesPerSecond = rate, EtaSeconds = eta };
        }
    }

    // Under _gate. Finished: the average over the run. Running: over the samples of the last RateWindow
    // up to now (so a stall lowers it), or the average since the start while that span is still short.
    private double? Rate(DateTimeOffset now)
    {
        if (_done <= 0) return null;
        var start = _startedAt ?? Created;
        if (_finishedAt is { } end)
            return end > start ? _done / (end - start).TotalSeconds : null;
        (DateTimeOffset Time, long Done)? oldest = null;
        foreach (var sample in _samples)
            if (now - sample.Time <= RateWindow) { oldest = sample; break; }
        oldest ??= _samples.Count > 0 ? _samples.Last() : null;
        if (oldest is { } o && now - o.Time >= ShortestSpan)
            return Math.Max(0, _done - o.Done) / (now - o.Time).TotalSeconds;
        return now - start >= ShortestSpan ? _done / (now - start).TotalSeconds : null;
    }

    // Under _gate.
    private void Sample()
    {
        var now = Time.GetUtcNow();
        // Progress that went back is a new phase (e.g. a second copy): its rate starts afresh.
        if (_done < _lastSampleDone) _samples.Clear();
        _lastSampleDone = _done;
        // AddProgress comes per chunk; a sample every 100 ms is plenty for a 10 s window.
        if (_samples.Count > 0 && now - _lastSampleTime < TimeSpan.FromMilliseconds(100)) return;
        _lastSampleTime = now;
        _samples.Enqueue((now, _done));
        while (_samples.Count > 2 && now - _samples.Peek().Time > RateWindow) _samples.Dequeue();
    }

    internal void AddLog(string level, string message)
    {
        lock (_gate) _log.Add(new JobLogEntry(Time.GetUtcNow(), level, message));
    }

    internal void SetProgress(long done, long total)
    {
        lock (_gate) { _done = done; _total = total; Sample(); }
    }

    internal void AddProgress(long bytes)
    {
        lock (_gate) { _done += bytes; Sample(); }
    }

    internal void MarkRunning()
    {
        lock (_gate) { _state = JobState.Running; _startedAt = Time.GetUtcNow(); }
    }

    internal void Finish(JobState state, JsonNode? result, Exception? error)
    {
        lock (_gate)
        {
            _state = state;
            _result = result;
            _finishedAt = Time.GetUtcNow();
            // A full disk is storage.full here too (as in the HTTP mapping), unless a more precise code was chosen.
            if (error is not null and not OperationCanceledException && error is not SnapcatException { Kind: not ErrorKind.Internal }
                && StorageErrors.FindFull(error) is not null)
            {
                _errorCode = StorageErrors.FullCode;
                _errorMessage = error is SnapcatException { Kind: ErrorKind.StorageFull } ? error.Message
                    : $"out of storage space: {error.Message}; free space on the daemon's file system and run it again";
            }
            else if (error is SnapcatException se) { _errorCode = se.Code; _errorMessage = se.Message; }
            else if (error is OperationCanceledException) { _errorCode = "job.cancelled"; _errorMessage = "the job was cancelled"; }
            else if (error is not null) { _errorCode = "internal"; _errorMessage = error.Message; }
            if (error is not null) _log.Add(new JobLogEntry(_finishedAt.Value, "error", _errorMessage!));
        }
        _finished.TrySetResult();
        _cts.Dispose();
    }
}
