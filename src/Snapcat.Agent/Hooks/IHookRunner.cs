namespace Snapcat.Agent.Hooks;

/// <summary>
/// Runs preprocess/postprocess hooks. An interface so that tests can inject a runner that fails
/// before or after any hook, per test.
/// </summary>
public interface IHookRunner
{
    /// <summary>
    /// Runs the hook to completion. Throws <see cref="HookFailedException"/> when it fails or times out,
    /// a Forbidden <c>SnapcatException</c> for a hook that is not configured or raw text that is not
    /// allowed, and <see cref="OperationCanceledException"/> (after killing it) when cancelled.
    /// <paramref name="onStarted"/> gets the hook's PID — also its process group ID — before the runner
    /// waits for it; if it throws, the hook is killed and the exception propagates.
    /// </summary>
    Task RunAsync(HookRef hook, HookInvocation invocation, LogSink log, CancellationToken ct, Action<int>? onStarted = null);

    /// <summary>Refuses, without running anything, a hook this agent would not run.</summary>
    void EnsureAllowed(HookRef hook);
}
