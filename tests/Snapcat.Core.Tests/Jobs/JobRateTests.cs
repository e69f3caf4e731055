using Snapcat.Core.Jobs;

namespace Snapcat.Core.Tests.Jobs;

/// <summary>Issue 15.10: every job's snapshot carries its rate and ETA; on a manual clock, so no timing is involved.</summary>
public sealed class JobRateTests
{
    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task Rate_and_eta_follow_progress_drop_on_a_stall_and_become_the_average_when_finished()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 12, 1, 2, 0, 0, TimeSpan.Zero));
        var registry = new JobRegistry(time);
        var release = new TaskCompletionSource();
        var context = new TaskCompletionSource<JobContext>();
        var job = registry.Start("copy", "a copy", async ctx =>
        {
            context.SetResult(ctx);
            await release.Task;
            return null;
        });
        var c = await context.Task;

        c.SetProgress(0, 1000);
        Assert.Null(job.Snapshot().BytesPerSecond);
        Assert.Null(job.Snapshot().EtaSeconds);

        time.Now += TimeSpan.FromSeconds(2);
        c.SetProgress(200, 1000);
        var s = job.Snapshot();
        Assert.Equal(100, s.BytesPerSecond);
        Assert.Equal(8, s.EtaSeconds);

        time.Now += TimeSpan.FromSeconds(2);
        c.AddProgress(600);
        s = job.Snapshot();
        Assert.Equal(200, s.BytesPerSecond);   // 800 bytes over the 4 s of the window
        Assert.Equal(1, s.EtaSeconds);

        // Nothing for longer than the window: the rate falls to 0 and there is no ETA.
        time.Now += TimeSpan.FromSeconds(20);
        s = job.Snapshot();
        Assert.Equal(0, s.BytesPerSecond);
        Assert.Null(s.EtaSeconds);

        release.SetResult();
        await job.Completion;
        s = job.Snapshot();
        Assert.Equal(800 / 24.0, s.BytesPerSecond!.Value, 6);
        Assert.Null(s.EtaSeconds);
    }

    [Fact]
    public void Interrupted_is_final() => Assert.True(JobState.Interrupted.IsFinal());
}
