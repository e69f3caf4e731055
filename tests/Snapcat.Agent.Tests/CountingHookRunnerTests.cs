using Snapcat.Agent.Config;
using Snapcat.Agent.Hooks;
using Snapcat.Contracts.Agent;
using Snapcat.Core.Errors;

namespace Snapcat.Agent.Tests;

/// <summary>The hook run counts behind <c>snapcat_agent_hook_runs_total</c>, over the real runner and real processes.</summary>
public sealed class CountingHookRunnerTests
{
    private static HookConfig Sh(string script, int timeout = 30) =>
        new() { Command = "/bin/sh", Args = ["-c", script], TimeoutSeconds = timeout };

    [Fact]
    public async Task Each_run_is_counted_once_by_phase_and_outcome()
    {
        var runner = new CountingHookRunner(new HookRunner(new Dictionary<string, HookConfig>
        {
            ["ok"] = Sh("exit 0"),
            ["bad"] = Sh("exit 3"),
            ["slow"] = Sh("sleep 30", timeout: 1),
        }, allowRawCommands: false));
        var log = new LogList();
        var pre = new HookInvocation(HookPhase.Pre, "job-1");
        var post = new HookInvocation(HookPhase.Post, "job-1");

        await runner.RunAsync(HookRef.Named("ok"), pre, log.Sink, default);
        await runner.RunAsync(HookRef.Named("ok"), post, log.Sink, default);
        await runner.RunAsync(HookRef.Named("ok"), post, log.Sink, default);
        await Assert.ThrowsAsync<HookFailedException>(() => runner.RunAsync(HookRef.Named("bad"), pre, log.Sink, default));
        var timedOut = await Assert.ThrowsAsync<HookFailedException>(() => runner.RunAsync(HookRef.Named("slow"), post, log.Sink, default));
        Assert.True(timedOut.TimedOut);
        var refused = await Assert.ThrowsAsync<SnapcatException>(() => runner.RunAsync(HookRef.Named("missing"), pre, log.Sink, default));
        Assert.Equal("hook.not_configured", refused.Code);

        Assert.Equal(new Dictionary<(string, string), long>
        {
            [("pre", "succeeded")] = 1,
            [("post", "succeeded")] = 2,
            [("pre", "failed")] = 1,
            [("post", "timeout")] = 1,
            [("pre", "refused")] = 1,
        }.OrderBy(kv => kv.Key), runner.Runs.OrderBy(kv => kv.Key));
    }
}
