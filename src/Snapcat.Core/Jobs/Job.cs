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
            return new JobSnapshot(Id, Kind, Description, _state, _done, _total, Created, _finishedAt,
                _errorCode, _errorMessage, _log.ToArray(), _result?.DeepClone());
    }

    internal void AddLog(string level, string message)
    {
        lock (_gate) _log.Add(new JobLogEntry(Time.GetUtcNow(), level, message));
    }

    internal void SetProgress(long done, long total)
    {
        lock (_gate) { _done = done; _total = total; }
    }

    internal void AddProgress(long bytes)
    {
        lock (_gate) _done += bytes;
    }

    internal void MarkRunning()
    {
        lock (_gate) _state = JobState.Running;
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
