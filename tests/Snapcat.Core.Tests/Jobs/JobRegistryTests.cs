using System.Text.Json.Nodes;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;

namespace Snapcat.Core.Tests.Jobs;

public class JobRegistryTests
{
    [Fact]
    public async Task A_job_reports_progress_log_and_result()
    {
        var reg = new JobRegistry();
        var gate = new TaskCompletionSource();
        var job = reg.Start("copy", "copy 1 -> 2", async ctx =>
        {
            ctx.SetProgress(50, 100);
            ctx.Info("half way");
            await gate.Task;
            ctx.SetProgress(100, 100);
            return new JsonObject { ["copied"] = 100 };
        });
        await Snapcat.TestKit.Poll.UntilAsync(() => job.Snapshot().BytesDone == 50, TimeSpan.FromSeconds(5), "progress");
        Assert.Equal(JobState.Running, job.State);
        gate.SetResult();
        await job.Completion;
        var s = reg.Get(job.Id).Snapshot();
        Assert.Equal(JobState.Succeeded, s.State);
        Assert.Equal(100, s.BytesDone);
        Assert.Contains(s.Log, l => l.Message == "half way");
        Assert.Equal(100, (int)s.Result!["copied"]!);
        Assert.NotNull(s.Finished);
    }

    [Fact]
    public async Task Failures_keep_the_error_code_and_cancellation_is_its_own_state()
    {
        var reg = new JobRegistry();
        var failed = reg.Start("x", "fails", _ => throw new SnapcatException(ErrorKind.Conflict, "volume.busy", "volume 3 is busy"));
        await failed.Completion;
        var s = failed.Snapshot();
        Assert.Equal(JobState.Failed, s.State);
        Assert.Equal("volume.busy", s.ErrorCode);
        Assert.Equal("volume 3 is busy", s.ErrorMessage);

        var started = new TaskCompletionSource();
        var cancelled = reg.Start("x", "waits", async ctx =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return null;
        });
        await started.Task;
        cancelled.Cancel();
        await cancelled.Completion;
        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.True(JobState.Cancelled.IsFinal());
        Assert.Throws<SnapcatException>(() => reg.Get("j-nope"));
    }

    [Fact]
    public void Persisted_job_states_never_change()
    {
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5 }, Enum.GetValues<JobState>().Select(v => (int)v));
    }
}
