using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Snapcat.Contracts.Server;
using Snapcat.Core.Jobs;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.DayTwo;

/// <summary>
/// <c>snapcat job log --follow</c> against a peer at the wire level whose event stream breaks while the job runs
/// (a real server cannot be made to drop a stream and go on): one reconnect goes on where the printed lines end,
/// a second break is an error naming the job. The real stream is followed end to end in <see cref="StatusAndJobLogTests"/>.
/// </summary>
public sealed class JobLogReconnectTests
{
    private const string Id = "j-00000000feed";

    private static JobSnapshot Job(JobState state, params string[] lines) => new(Id, "backup", "snapshot backup 'x'", state, 0, 0,
        DateTimeOffset.UnixEpoch, state.IsFinal() ? DateTimeOffset.UnixEpoch.AddSeconds(1) : null, null, null,
        lines.Select(l => new JobLogEntry(DateTimeOffset.UnixEpoch, "info", l)).ToArray(), null);

    /// <summary>A loopback peer; <paramref name="events"/> gets the connection number (1, 2, …) and writes the stream.</summary>
    private static async Task<(LoopbackHttpServer App, string Url)> ServeAsync(Func<int, HttpContext, Task> events, JobSnapshot current)
    {
        int connections = 0;
        var server = await LoopbackHttpServer.StartAsync(app =>
        {
            app.MapGet("/v1/jobs/{id}/events", (HttpContext ctx) => events(Interlocked.Increment(ref connections), ctx));
            app.MapGet("/v1/jobs/{id}", () => Results.Json(current, ServerClient.Json));
        });
        return (server, server.Url);
    }

    private static async Task SendAsync(HttpContext ctx, JobSnapshot s)
    {
        if (!ctx.Response.HasStarted) ctx.Response.ContentType = "text/event-stream";
        await ctx.Response.WriteAsync($"event: job\ndata: {JsonSerializer.Serialize(s, ServerClient.Json)}\n\n");
        await ctx.Response.Body.FlushAsync();
    }

    [Fact]
    public async Task A_stream_that_breaks_while_the_job_runs_is_followed_again_once_without_repeating_lines()
    {
        var (app, url) = await ServeAsync(async (n, ctx) =>
        {
            if (n == 1)
            {
                await SendAsync(ctx, Job(JobState.Running, "line one"));
                return;   // the stream ends before the job did
            }
            await SendAsync(ctx, Job(JobState.Running, "line one", "line two"));
            await SendAsync(ctx, Job(JobState.Succeeded, "line one", "line two", "line three"));
        }, Job(JobState.Running, "line one"));
        await using var appLifetime = app;

        var r = await ServerRig.CliAsync(["job", "log", Id, "--follow", "--server", url, "--token", "t"]);
        Assert.True(r.Code == 0, r.Out + r.Err);
        foreach (string line in new[] { "line one", "line two", "line three" })
            Assert.Single(r.Out.Split('\n'), l => l.EndsWith(line));
        Assert.Contains("reconnecting", r.Err);
        Assert.EndsWith($"job {Id} succeeded", r.Out.TrimEnd());
    }

    [Fact]
    public async Task A_second_break_while_the_job_runs_is_an_error_and_the_job_is_left_alone()
    {
        var (app, url) = await ServeAsync(async (n, ctx) =>
        {
            await SendAsync(ctx, Job(JobState.Running, "line one"));
            if (n > 1) ctx.Abort();   // the first stream ends, the second breaks (before or after its event)
        }, Job(JobState.Running, "line one"));
        await using var appLifetime = app;

        var r = await ServerRig.CliAsync(["job", "log", Id, "--follow", "--server", url, "--token", "t"]);
        Assert.True(r.Code == 1, r.Out + r.Err);
        Assert.Contains("job.events_dropped", r.Err);
        Assert.Contains("again after one reconnect", r.Err);
        Assert.Single(r.Out.Split('\n'), l => l.EndsWith("line one"));
    }

    [Fact]
    public async Task A_job_that_failed_while_the_stream_was_down_ends_the_follow_with_exit_1()
    {
        var failed = Job(JobState.Failed, "line one", "the agent stopped") with { ErrorCode = "agent.unreachable", ErrorMessage = "the agent stopped" };
        var (app, url) = await ServeAsync((n, ctx) =>
        {
            ctx.Abort();   // broken before any answer
            return Task.CompletedTask;
        }, failed);
        await using var appLifetime = app;

        var r = await ServerRig.CliAsync(["job", "log", Id, "--follow", "--server", url, "--token", "t"]);
        Assert.True(r.Code == 1, r.Out + r.Err);
        Assert.Contains("agent.unreachable", r.Err);
        Assert.DoesNotContain("reconnecting", r.Err);
        Assert.Contains("the agent stopped", r.Out);
    }
}
