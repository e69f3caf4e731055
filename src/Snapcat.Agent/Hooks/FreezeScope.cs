using Snapcat.Agent.Logging;

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
    public async Task<T> RunAsync<T>(HookRef? preprocess, HookRef? postprocess, HookInvocation invocation, LogSink log,
        Func<CancellationToken, Task<T>> body, CancellationToken ct)
    {
        var pre = invocation with { Phase = HookPhase.Pre };
        var post = invocation with { Phase = HookPhase.Post };
        if (preprocess is not null) runner.EnsureAllowed(preprocess);
        if (postprocess is not null) runner.EnsureAllowed(postprocess);
        ct.ThrowIfCancellationRequested();

        var pending = postprocess is null ? null : journal.Record(pre, preprocess, postprocess);

        if (preprocess is not null)
        {
            try
            {
                await runner.RunAsync(preprocess, pre, log, ct).ConfigureAwait(false);
            }
            catch (Exception preFailure)
            {
                // A preprocess that failed half-way may still have frozen or unmounted something.
                await PostAfterFailureAsync(postprocess, post, pending, log, $"preprocess {preprocess} failed: {preFailure.Message}").ConfigureAwait(false);
                throw;
            }
        }

        T result;
        try
        {
            result = await body(ct).ConfigureAwait(false);
        }
        catch (Exception bodyFailure)
        {
            string why = bodyFailure is OperationCanceledException ? "the job was cancelled" : bodyFailure.Message;
            await PostAfterFailureAsync(postprocess, post, pending, log, why).ConfigureAwait(false);
            throw;
        }

        if (postprocess is not null)
        {
            try
            {
                await runner.RunAsync(postprocess, post, log, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                Forget(pending, log);
            }
        }
        return result;
    }

    public Task RunAsync(HookRef? preprocess, HookRef? postprocess, HookInvocation invocation, LogSink log,
        Func<CancellationToken, Task> body, CancellationToken ct) =>
        RunAsync<bool>(preprocess, postprocess, invocation, log, async c => { await body(c).ConfigureAwait(false); return true; }, ct);

    private async Task PostAfterFailureAsync(HookRef? postprocess, HookInvocation post, PendingThaw? pending, LogSink log, string why)
    {
        if (postprocess is null) return;
        try
        {
            await runner.RunAsync(postprocess, post, log, CancellationToken.None).ConfigureAwait(false);
            log.Warn($"postprocess {postprocess} ran after failure: {why}");
        }
        catch (Exception postFailure)
        {
            // The original failure stays the job's error; the postprocess failure is logged beside it.
            log.Error($"postprocess {postprocess} ran after failure ({why}) and failed too: {postFailure.Message}");
        }
        finally
        {
            Forget(pending, log);
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
