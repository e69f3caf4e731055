namespace Snapcat.Array.ChangeTracking;

/// <summary>
/// Per-chunk mutual exclusion, plus an exclusive mode that drains every holder. The copy engines use
/// it so that (a) a source write and a copy/preservation of the same chunk never interleave — the
/// write holds its chunks through the hook's lease — and (b) structural changes (snapshot create,
/// delete, copy start) happen between writes, never in the middle of one.
///
/// Deadlock freedom: every caller takes its chunks in ascending order in one call, and exclusive
/// mode waits only for holders that already own all their chunks.
/// </summary>
public sealed class ChunkLockTable
{
    private readonly object _sync = new();
    private readonly Dictionary<long, Queue<TaskCompletionSource>> _held = new();
    private readonly Queue<TaskCompletionSource> _blockedByExclusive = new();
    private int _holders;
    private bool _exclusive;
    private TaskCompletionSource? _drained;

    /// <summary>Locks chunks [first, last] in ascending order; dispose the result to release them.</summary>
    public async ValueTask<IDisposable> LockAsync(long first, long last, CancellationToken ct = default)
    {
        await EnterSharedAsync(ct).ConfigureAwait(false);
        long c = first;
        try
        {
            for (; c <= last; c++)
                await LockOneAsync(c, ct).ConfigureAwait(false);
        }
        catch
        {
            for (long u = first; u < c; u++) UnlockOne(u);
            LeaveShared();
            throw;
        }
        return new Lease(this, first, last);
    }

    /// <summary>Waits until no chunk is held and blocks new lockers until the result is disposed.</summary>
    public async ValueTask<IDisposable> LockAllAsync(CancellationToken ct = default)
    {
        while (true)
        {
            Task wait;
            bool claimed = false;
            lock (_sync)
            {
                if (!_exclusive)
                {
                    _exclusive = true;  // from now on new lockers queue behind us
                    if (_holders == 0) return new ExclusiveLease(this);
                    _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _drained.Task;
                    claimed = true;
                }
                else
                {
                    var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _blockedByExclusive.Enqueue(tcs);
                    wait = tcs.Task;
                }
            }
            if (!claimed)
            {
                await wait.WaitAsync(ct).ConfigureAwait(false);  // another exclusive holder: try again after it
                continue;
            }
            try
            {
                await wait.WaitAsync(ct).ConfigureAwait(false);  // current holders finish their writes
            }
            catch
            {
                ReleaseExclusive();
                throw;
            }
            return new ExclusiveLease(this);
        }
    }

    private async ValueTask EnterSharedAsync(CancellationToken ct)
    {
        while (true)
        {
            Task wait;
            lock (_sync)
            {
                if (!_exclusive)
                {
                    _holders++;
                    return;
                }
                var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _blockedByExclusive.Enqueue(tcs);
                wait = tcs.Task;
            }
            await wait.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private void LeaveShared()
    {
        lock (_sync)
        {
            _holders--;
            if (_holders == 0 && _drained is not null)
            {
                _drained.TrySetResult();
                _drained = null;
            }
        }
    }

    private void ReleaseExclusive()
    {
        lock (_sync)
        {
            _exclusive = false;
            _drained = null;
            while (_blockedByExclusive.TryDequeue(out var t)) t.TrySetResult();
        }
    }

    private Task LockOneAsync(long chunk, CancellationToken ct)
    {
        lock (_sync)
        {
            if (!_held.TryGetValue(chunk, out var waiters))
            {
                _held[chunk] = new Queue<TaskCompletionSource>();
                return Task.CompletedTask;
            }
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiters.Enqueue(tcs);
            // Ownership passes directly to the next waiter on unlock, so a cancelled wait must hand it on.
            return WaitOwnershipAsync(tcs, chunk, ct);
        }
    }

    private async Task WaitOwnershipAsync(TaskCompletionSource tcs, long chunk, CancellationToken ct)
    {
        try
        {
            await tcs.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            if (!tcs.TrySetCanceled()) UnlockOne(chunk);  // ownership already handed to us: pass it on
            throw;
        }
    }

    private void UnlockOne(long chunk)
    {
        lock (_sync)
        {
            var waiters = _held[chunk];
            while (waiters.TryDequeue(out var next))
                if (next.TrySetResult()) return;  // skip waiters that gave up
            _held.Remove(chunk);
        }
    }

    private sealed class Lease(ChunkLockTable table, long first, long last) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            for (long c = first; c <= last; c++) table.UnlockOne(c);
            table.LeaveShared();
        }
    }

    private sealed class ExclusiveLease(ChunkLockTable table) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) table.ReleaseExclusive();
        }
    }
}
