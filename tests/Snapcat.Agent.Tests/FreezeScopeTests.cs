using Snapcat.Agent.Config;
using Snapcat.Agent.Hooks;
using Snapcat.Core.Errors;
using Snapcat.TestKit;
using Snapcat.Contracts.Agent;

namespace Snapcat.Agent.Tests;

public sealed class FreezeScopeTests : IDisposable
{
    private readonly TempDir _dir = new("freeze");
    private readonly string _trace;
    private readonly PendingThawJournal _journal;

    public FreezeScopeTests()
    {
        _trace = _dir.Combine("trace");
        _journal = new PendingThawJournal(_dir.Combine("state", "pending-thaw"));
    }

    public void Dispose() => _dir.Dispose();

    private HookConfig Append(string word, string extra = "", int timeout = 30) =>
        new() { Command = "/bin/sh", Args = ["-c", $"echo \"{word} $SNAPCAT_PHASE $SNAPCAT_RECOVERED\" >> '{_trace}'; {extra}"], TimeoutSeconds = timeout };

    private HookRunner Runner(string preExtra = "") => new(new Dictionary<string, HookConfig>
    {
        ["freeze"] = Append("freeze", preExtra),
        ["thaw"] = Append("thaw"),
    }, false);

    private string[] Trace() => File.Exists(_trace) ? File.ReadAllLines(_trace).Select(l => l.Trim()).ToArray() : [];

    private static HookInvocation Inv => new(HookPhase.Pre, "job-1") { MountPoint = "/srv/data", Operation = "mirror-backup" };

    [Fact]
    public async Task Order_is_pre_body_post_and_the_journal_is_empty_after()
    {
        var log = new LogList();
        var scope = new FreezeScope(Runner(), _journal);
        int r = await scope.RunAsync(HookRef.Named("freeze"), HookRef.Named("thaw"), Inv, log.Sink, _ =>
        {
            // While the body runs, the pending thaw is on disk.
            Assert.Single(_journal.List());
            File.AppendAllText(_trace, "copy\n");
            return Task.FromResult(42);
        }, default);
        Assert.Equal(42, r);
        Assert.Equal(["freeze pre", "copy", "thaw post"], Trace());
        Assert.Empty(_journal.List());
    }

    [Fact]
    public async Task Failing_preprocess_still_runs_the_postprocess()
    {
        var log = new LogList();
        var scope = new FreezeScope(Runner(preExtra: "exit 5"), _journal);
        bool bodyRan = false;
        var ex = await Assert.ThrowsAsync<HookFailedException>(() => scope.RunAsync(HookRef.Named("freeze"), HookRef.Named("thaw"), Inv, log.Sink,
            _ => { bodyRan = true; return Task.CompletedTask; }, default));
        Assert.Equal(5, ex.ExitCode);
        Assert.False(bodyRan);
        Assert.Equal(["freeze pre", "thaw post"], Trace());
        Assert.Contains(log.Lines, l => l.Contains("postprocess hook 'thaw' ran after failure: preprocess hook 'freeze' failed"));
        Assert.Empty(_journal.List());
    }

    [Fact]
    public async Task Failing_body_runs_the_postprocess_and_keeps_the_body_error()
    {
        var log = new LogList();
        var scope = new FreezeScope(Runner(), _journal);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => scope.RunAsync(HookRef.Named("freeze"), HookRef.Named("thaw"), Inv, log.Sink,
            _ => { Throw.Remote("array.unreachable", "the array did not answer"); return Task.CompletedTask; }, default));
        Assert.Equal("array.unreachable", ex.Code);
        Assert.Equal(["freeze pre", "thaw post"], Trace());
        Assert.Contains(log.Lines, l => l == "warn: postprocess hook 'thaw' ran after failure: the array did not answer");
    }

    [Fact]
    public async Task Cancellation_during_the_body_runs_the_postprocess()
    {
        var log = new LogList();
        var scope = new FreezeScope(Runner(), _journal);
        using var cts = new CancellationTokenSource();
        var run = scope.RunAsync(HookRef.Named("freeze"), HookRef.Named("thaw"), Inv, log.Sink,
            async ct => { cts.Cancel(); await Task.Delay(Timeout.Infinite, ct); }, cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(["freeze pre", "thaw post"], Trace());
        Assert.Contains(log.Lines, l => l.Contains("ran after failure: the job was cancelled"));
        Assert.Empty(_journal.List());
    }

    [Fact]
    public async Task Cancellation_during_the_preprocess_kills_it_and_runs_the_postprocess()
    {
        var log = new LogList();
        var scope = new FreezeScope(Runner(preExtra: "sleep 1000"), _journal);
        using var cts = new CancellationTokenSource();
        var run = scope.RunAsync(HookRef.Named("freeze"), HookRef.Named("thaw"), Inv, log.Sink, _ => Task.CompletedTask, cts.Token);
        await Poll.UntilAsync(() => Trace().Length == 1, TimeSpan.FromSeconds(10), "the preprocess to start");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(["freeze pre", "thaw post"], Trace());
    }

    [Fact]
    public async Task Unknown_postprocess_is_refused_before_the_preprocess_runs()
    {
        var scope = new FreezeScope(Runner(), _journal);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => scope.RunAsync(HookRef.Named("freeze"), HookRef.Named("nope"), Inv, new LogList().Sink,
            _ => Task.CompletedTask, default));
        Assert.Equal("hook.not_configured", ex.Code);
        Assert.Empty(Trace());
        Assert.Empty(_journal.List());
    }

    [Fact]
    public async Task Agent_dying_after_the_preprocess_leaves_a_pending_thaw_that_the_next_start_runs_once()
    {
        // The first "agent": records the pending thaw and runs the preprocess, then dies (no postprocess).
        var first = Runner();
        var inv = Inv with { Label = "nightly" };
        _journal.Record(inv, HookRef.Named("freeze"), HookRef.Named("thaw"));
        await first.RunAsync(HookRef.Named("freeze"), inv, new LogList().Sink, default);

        // The next agent start: a new journal object over the same directory, a new runner.
        var journal = new PendingThawJournal(_journal.DirectoryPath);
        var entry = Assert.Single(journal.List());
        Assert.Equal("job-1", entry.JobId);
        var log = new LogList();
        int ran = await journal.RunPendingAsync(Runner(), log.Sink, default);
        Assert.Equal(1, ran);
        Assert.Equal(["freeze pre", "thaw post 1"], Trace());
        Assert.Contains(log.Lines, l => l.Contains("running pending postprocess hook 'thaw' of job job-1"));
        Assert.Empty(journal.List());

        // Once: a further start has nothing to do.
        Assert.Equal(0, await new PendingThawJournal(_journal.DirectoryPath).RunPendingAsync(Runner(), log.Sink, default));
        Assert.Equal(2, Trace().Length);
    }

    [Fact]
    public void A_torn_journal_file_is_moved_aside_and_reported()
    {
        File.WriteAllText(Path.Combine(_journal.DirectoryPath, "x.json"), "{ \"id\": ");
        var log = new LogList();
        Assert.Empty(_journal.List(log.Sink));
        Assert.True(File.Exists(Path.Combine(_journal.DirectoryPath, "x.json.corrupt")));
        Assert.Contains(log.Lines, l => l.StartsWith("error: pending-thaw entry"));
    }
}
