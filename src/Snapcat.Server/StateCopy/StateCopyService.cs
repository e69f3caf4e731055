using Microsoft.Extensions.Logging;

namespace Snapcat.Server.StateCopy;

/// <summary>
/// Keeps the server's state copy fresh (docs/disaster-recovery.md): every definition or backup volume table change (any
/// successful write request of the API) and every finished job <see cref="Request"/>s a refresh; a burst is coalesced into one
/// write <see cref="Debounce"/> after the last request. The write runs on its own loop, never inside a job: a job only signals.
/// A failed write is logged, shown in <c>snapcat status</c> and <c>/healthz</c>, and retried with a growing pause. While a
/// rebuild restores the catalog, refreshes wait (<see cref="Pause"/>): a half-restored catalog is never written as the newest copy.
/// A server that has never written or restored a copy and whose catalog is empty writes none (a new server must not bury the
/// old server's state under an empty one before the rebuild).
/// </summary>
public sealed partial class StateCopyService(ServerRuntime rt)
{
    private readonly SemaphoreSlim _signal = new(0);
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly Lock _gate = new();
    private readonly ArrayStateCopies _arrays = new(rt);
    private int _paused;
    private bool _pending, _tapePending;
    private readonly HashSet<string> _backupDefinitions = new(StringComparer.Ordinal);
    private StateCopyStatusDto? _status;

    private ILogger Log => rt.Logs.CreateLogger<StateCopyService>();

    /// <summary>How long after the last request the copy is written (a burst of changes is one write).</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The first retry after a failed write; it doubles up to <see cref="MaxRetry"/>.</summary>
    public TimeSpan FirstRetry { get; init; } = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxRetry = TimeSpan.FromMinutes(5);

    public StateCatalog Catalog { get; } = new(rt);

    /// <summary>Asks for a refresh; <paramref name="tape"/>: also append a copy to the tape library (after a tape job).</summary>
    public void Request(bool tape = false)
    {
        lock (_gate)
        {
            _pending = true;
            _tapePending |= tape && rt.Tapes is not null;
        }
        _signal.Release();
    }

    /// <summary>A job ended: every job changes the history, a tape job the tapes too.</summary>
    public void JobSaved(JobSnapshot job, string? definition)
    {
        ArgumentNullException.ThrowIfNull(job);
        // A backup job may be a tape backup: its definition's kind decides, looked up in the loop, not here.
        if (job.Kind == "backup" && definition is not null && rt.Tapes is not null)
            lock (_gate) _backupDefinitions.Add(definition);
        Request(tape: job.Kind == "tape-copy");
    }

    /// <summary>Holds refreshes back until the returned handle is disposed (a rebuild restoring the catalog).</summary>
    public IDisposable Pause()
    {
        Interlocked.Increment(ref _paused);
        return new Resume(this);
    }

    private sealed class Resume(StateCopyService owner) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0 && Interlocked.Decrement(ref owner._paused) == 0) owner._signal.Release();
        }
    }

    /// <summary>What <c>snapcat status</c> shows.</summary>
    public async Task<StateCopyStatusDto> StatusAsync(CancellationToken ct = default)
    {
        var id = await Catalog.IdentityAsync(ct).ConfigureAwait(false);
        StateCopyStatusDto? s;
        bool pending;
        lock (_gate)
        {
            s = _status;
            // A write in flight counts as pending: its generation is taken but not yet on the arrays.
            pending = _pending || _writing.CurrentCount == 0;
        }
        return (s ?? new StateCopyStatusDto(id.ServerId, id.Generation, id.Written, [], null, null, false)) with
        {
            ServerId = id.ServerId,
            Generation = s is { Generation: > 0 } ? s.Generation : id.Generation,
            LastWritten = s?.LastWritten ?? id.Written,
            Pending = pending,
            RestoredFrom = id.RestoredFrom,
            RestoredGeneration = id.RestoredGeneration,
        };
    }

    /// <summary>The last write's failure, null when the last write succeeded or none was tried (the health check's input).</summary>
    public string? LastError
    {
        get { lock (_gate) return _status?.LastError; }
    }

    /// <summary>The loop: waits for requests, coalesces them, writes, retries failures. Ends with <paramref name="stop"/>.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var retry = FirstRetry;
        while (!stop.IsCancellationRequested)
        {
            await _signal.WaitAsync(stop).ConfigureAwait(false);
            // Coalesce: every request that arrives within the debounce is part of this write.
            while (await _signal.WaitAsync(Debounce, stop).ConfigureAwait(false)) { }
            bool tape;
            string[] backups;
            lock (_gate)
            {
                if (!_pending || Volatile.Read(ref _paused) > 0) continue;
                _pending = false;
                tape = _tapePending;
                _tapePending = false;
                backups = [.. _backupDefinitions];
                _backupDefinitions.Clear();
            }
            if (!tape && backups.Length > 0)
            {
                try
                {
                    var kinds = (await rt.Definitions.ListAsync(stop).ConfigureAwait(false)).Where(d => backups.Contains(d.Name)).Select(d => d.KindValue);
                    tape = kinds.Contains(BackupKind.Tape);
                }
                catch (System.Data.Common.DbException)
                {
                    tape = true;   // cannot tell: one more copy on tape does no harm
                }
            }
            bool ok = await RefreshAsync(tape, stop).ConfigureAwait(false);
            if (ok)
            {
                retry = FirstRetry;
                continue;
            }
            lock (_gate)
            {
                _pending = true;
                _tapePending |= tape;
            }
            await Task.Delay(retry, rt.Time, stop).ConfigureAwait(false);
            retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, MaxRetry.Ticks));
            _signal.Release();
        }
    }

    /// <summary>
    /// Writes one copy now to every array (and the tapes when asked); true when every target took it. Writes are one at a time.
    /// Returns true without writing for a new, empty server (see the class).
    /// </summary>
    public async Task<bool> RefreshAsync(bool tape, CancellationToken ct = default)
    {
        await _writing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var id = await Catalog.IdentityAsync(ct).ConfigureAwait(false);
            if (id.Written is null && id.RestoredFrom is null && await IsEmptyAsync(ct).ConfigureAwait(false))
                return true;
            var now = rt.Time.GetUtcNow();
            long generation = await Catalog.NextGenerationAsync(now, ct).ConfigureAwait(false);
            var doc = await Catalog.CollectAsync(generation, now, ct).ConfigureAwait(false);
            byte[] envelope = StateEnvelope.Encode(doc);
            var targets = new List<string>();
            var errors = new List<string>();
            foreach (string device in rt.Remotes.DeviceIds.Order(StringComparer.Ordinal))
            {
                try
                {
                    targets.Add(await _arrays.WriteAsync(device, doc, envelope, ct).ConfigureAwait(false));
                }
                catch (Exception e) when (!ct.IsCancellationRequested && e is SnapcatException or HttpRequestException or TaskCanceledException or IOException)
                {
                    errors.Add($"array {device}: {e.Message}" + (e is SnapcatException se ? $" ({se.Code})" : ""));
                }
            }
            if (tape && rt.Tapes is { } library)
            {
                try
                {
                    targets.Add(await new TapeStateCopies(library).WriteAsync(envelope, ct).ConfigureAwait(false));
                }
                catch (Exception e) when (!ct.IsCancellationRequested && e is SnapcatException or IOException)
                {
                    errors.Add($"tape {library.LibraryId}: {e.Message}");
                }
            }
            if (targets.Count == 0 && errors.Count == 0)
                errors.Add("no array is configured and no tape job ran: the state copy has nowhere to go");
            string? error = errors.Count == 0 ? null : string.Join("; ", errors);
            lock (_gate)
                _status = new StateCopyStatusDto(doc.ServerId, generation, targets.Count > 0 ? now : _status?.LastWritten, targets, error,
                    error is null ? _status?.LastFailure : now, false);
            if (error is null) LogWritten(Log, generation, envelope.Length, string.Join(", ", targets));
            else LogFailed(Log, generation, error);
            return error is null;
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is SnapcatException or System.Data.Common.DbException or IOException or InvalidOperationException)
        {
            lock (_gate)
                _status = (_status ?? new StateCopyStatusDto("", 0, null, [], null, null, false)) with { LastError = e.Message, LastFailure = rt.Time.GetUtcNow() };
            LogFailed(Log, 0, e.Message);
            return false;
        }
        finally
        {
            _writing.Release();
        }
    }

    private async Task<bool> IsEmptyAsync(CancellationToken ct) =>
        (await rt.Definitions.ListAsync(ct).ConfigureAwait(false)).Count == 0
        && (await rt.Volumes.ListAsync(ct).ConfigureAwait(false)).Count == 0
        && await rt.Data.CountAsync(ct).ConfigureAwait(false) == 0;

    [LoggerMessage(Level = LogLevel.Information, Message = "state copy generation {Generation} written ({Bytes} bytes): {Targets}")]
    private static partial void LogWritten(ILogger logger, long generation, int bytes, string targets);

    [LoggerMessage(Level = LogLevel.Warning, Message = "state copy generation {Generation} not written everywhere: {Error}; retried")]
    private static partial void LogFailed(ILogger logger, long generation, string error);
}
