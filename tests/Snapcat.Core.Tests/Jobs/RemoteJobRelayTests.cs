using Snapcat.Core.Jobs;

namespace Snapcat.Core.Tests.Jobs;

/// <summary>The one relay of a remote job into a local one: bytes, and each new log line once, in order.</summary>
public sealed class RemoteJobRelayTests
{
    [Fact]
    public async Task Bytes_become_ours_and_each_remote_line_is_handed_on_once()
    {
        var registry = new JobRegistry();
        var lines = new List<string>();
        var release = new TaskCompletionSource();
        RemoteJobRelay? relay = null;
        var job = registry.Start("t", "relay", async ctx =>
        {
            relay = new RemoteJobRelay(ctx) { OnLogLine = l => lines.Add(l.Message) };
            await release.Task;
            return null;
        });
        await Snapcat.TestKit.Poll.UntilAsync(() => relay is not null, TimeSpan.FromSeconds(30), "the job to start");

        relay!.Report(Remote(10, 100, "a"));
        relay.Report(Remote(40, 100, "a", "b", "copy started: x"));
        relay.Report(Remote(40, 100, "a", "b", "copy started: x"));   // polled again, nothing new
        Assert.Equal(["a", "b", "copy started: x"], lines);
        var mine = job.Snapshot();
        Assert.Equal((40, 100), (mine.BytesDone, mine.BytesTotal));
        release.SetResult();
        await job.Completion;
    }

    private static JobSnapshot Remote(long done, long total, params string[] log) =>
        new("j-r", "copy", "remote", JobState.Running, done, total, DateTimeOffset.UnixEpoch, null, null, null,
            log.Select(m => new JobLogEntry(DateTimeOffset.UnixEpoch, "info", m)).ToArray(), null);
}
