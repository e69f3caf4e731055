using System.Diagnostics;
using System.Globalization;

namespace Snapcat.Agent.Hooks;

/// <summary>
/// The one construct every flow uses around its preprocess and postprocess (FIG. 10 steps 1611/1614,
/// FIG. 12 steps 1621/1624, FIG. 13 steps 1632/1634). Its guarantee: once a preprocess has been
/// started, its postprocess runs — after success, when the body fails, when the job is cancelled,
/// when the preprocess itself failed half-way — and if the agent dies in between, the pending-thaw
/// journal makes the next agent start run it.
///
/// Order: check both hooks are allowed (nothing runs if not) → record the pending thaw durably →
/// preprocess → body → postprocess → clear the record. The postprocess is never given the job's
/// cancellation token: cancelling a job must thaw, not skip the thaw; the hook's own timeout bounds it.
/// </summary>
public sealed class FreezeScope(IHookRunner runner, PendingThawJournal journal)
{
    /// <summary>
    /// As below, and the body may end the freeze early: <see cref="Thaw.NowAsync"/> runs the postprocess
    /// at once (a mirror copy calls it as soon as the array has fixed the copy's point in time, issue
    /// 15.4) and the scope does not run it again. A body that fails after thawing does not thaw twice.
    /// </summary>
    public async Task<T> RunAsync<T>(HookRef? preprocess, HookRef? postprocess, HookInvocation invocation, LogSink log,
        Func<Thaw, CancellationToken, Task<T>> body, CancellationToken ct)
    {
        var pre = invocation with { Phase = HookPhase.Pre };
        var post = invocation with { Phase = HookPhase.Post };
        if (preprocess is not null) runner.EnsureAllowed(preprocess);
        if (postprocess is not null) runner.EnsureAllowed(postprocess);
        if ((preprocess is not null || postprocess is not null) && journal.IsRecovering(invocation.MountPoint))
            Throw.Conflict("hooks.recovery_running",
                $"a postprocess owed for {invocation.MountPoint ?? "this host"} by an earlier agent process has not finished yet (see the agent's pending-postprocess jobs); " +
                "nothing was run — try again when it has");
        ct.ThrowIfCancellationRequested();

        var state = new ScopeState(postprocess is null ? null : journal.Record(pre, preprocess, postprocess));

        if (preprocess is not null)
        {
            try
            {
                await runner.RunAsync(preprocess, pre, log, ct, state.OnHookStarted(journal)).ConfigureAwait(false);
            }
            catch (Exception preFailure)
            {
                // A preprocess that failed half-way may still have frozen or unmounted something.
                await PostAfterFailureAsync(postprocess, post, state, log, $"preprocess {preprocess} failed: {preFailure.Message}").ConfigureAwait(false);
                throw;
            }
        }
        long frozenAt = Stopwatch.GetTimestamp();

        var thaw = new Thaw(() => PostAsync(preprocess, postprocess, post, state, log, frozenAt));
        T result;
        try
        {
            result = await body(thaw, ct).ConfigureAwait(false);
        }
        catch (Exception bodyFailure)
        {
            // Thawed early already (and possibly that thaw is what failed): never a second postprocess.
            if (!thaw.Started)
            {
                string why = bodyFailure is OperationCanceledException ? "the job was cancelled" : bodyFailure.Message;
                await PostAfterFailureAsync(postprocess, post, state, log, why).ConfigureAwait(false);
            }
            throw;
        }
        await thaw.NowAsync().ConfigureAwait(false);
        return result;
    }

    public Task<T> RunAsync<T>(HookRef? preprocess, HookRef? postprocess, HookInvocation invocation, LogSink log,
        Func<CancellationToken, Task<T>> body, CancellationToken ct) =>
        RunAsync(preprocess, postprocess, invocation, log, (_, c) => body(c), ct);

    public Task RunAsync(HookRef? preprocess, HookRef? postprocess, HookInvocation invocation, LogSink log,
        Func<CancellationToken, Task> body, CancellationToken ct) =>
        RunAsync<bool>(preprocess, postprocess, invocation, log, async c => { await body(c).ConfigureAwait(false); return true; }, ct);

    private async Task PostAsync(HookRef? preprocess, HookRef? postprocess, HookInvocation post, ScopeState state, LogSink log, long frozenAt)
    {
        if (postprocess is null) return;
        if (preprocess is not null)
        {
            // The time the application spends frozen because of Snapcat: from the preprocess's end to the
            // postprocess's start (what each hook itself takes is logged with the hook).
            // A backup's preprocess freezes; a restore's (e.g. unmount) is named for what it is.
            double ms = Stopwatch.GetElapsedTime(frozenAt).TotalMilliseconds;
            string what = post.Operation?.EndsWith("backup", StringComparison.Ordinal) == true ? "freeze window" : "window between the hooks";
            log.Info($"{what} {ms.ToString("0", CultureInfo.InvariantCulture)} ms (preprocess {preprocess} ended → postprocess {postprocess} starts)");
        }
        try
        {
            await runner.RunAsync(postprocess, post, log, CancellationToken.None, state.OnHookStarted(journal)).ConfigureAwait(false);
        }
        finally
        {
            Forget(state.Pending, log);
        }
    }

    /// <summary>The pending-thaw entry of one scope, updated with the process group of each hook it starts.</summary>
    private sealed class ScopeState(PendingThaw? pending)
    {
        public PendingThaw? Pending { get; private set; } = pending;

        public Action<int>? OnHookStarted(PendingThawJournal journal) =>
            Pending is null ? null : pid => Pending = journal.NoteHookStarted(Pending!, pid);
    }

    private async Task PostAfterFailureAsync(HookRef? postprocess, HookInvocation post, ScopeState state, LogSink log, string why)
    {
        if (postprocess is null) return;
        try
        {
            await runner.RunAsync(postprocess, post, log, CancellationToken.None, state.OnHookStarted(journal)).ConfigureAwait(false);
            log.Warn($"postprocess {postprocess} ran after failure: {why}");
        }
        catch (Exception postFailure)
        {
            // The original failure stays the job's error; the postprocess failure is logged beside it.
            log.Error($"postprocess {postprocess} ran after failure ({why}) and failed too: {postFailure.Message}");
        }
        finally
        {
            Forget(state.Pending, log);
        }
    }

    private void Forget(PendingThaw? pending, LogSink log)
    {
        if (pending is null) return;
        try
        {
            journal.Remove(pending);
        }
        catch (IOException ex)
        {
            log.Warn($"could not clear pending-thaw entry {pending.Id} ({ex.Message}); its postprocess will run again at the next agent start");
        }
    }
}

/// <summary>
/// Ends a <see cref="FreezeScope"/>'s freeze: runs its postprocess once, however often it is called;
/// every caller awaits the same run (and sees its failure).
/// </summary>
public sealed class Thaw(Func<Task> post)
{
    private readonly Lock _gate = new();
    private Task? _run;

    public bool Started
    {
        get { lock (_gate) return _run is not null; }
    }

    public Task NowAsync()
    {
        lock (_gate) return _run ??= post();
    }
}
