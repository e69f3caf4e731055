using System.Text.Json;
using Snapcat.Cli.Commands;
using Snapcat.Core.Jobs;
using Snapcat.Contracts.Array;
using Reply = Snapcat.Array.Tests.Cli.FakeArrayServer.Reply;

namespace Snapcat.Array.Tests.Cli;

public class CliCopyArgumentTests
{
    // Any address: usage errors are caught before a connection is attempted.
    private static readonly string[] Conn = ["--url", "http://127.0.0.1:9", "--token", "t"];

    [Theory]
    [InlineData("name the primary: --primary, or --port and --lun", "copy", "--to", "2")]
    [InlineData("either by --primary or by --port and --lun, not both", "copy", "--primary", "1", "--port", "127.0.0.1:10809", "--lun", "1", "--to", "2")]
    [InlineData("--port needs --lun", "copy", "--port", "127.0.0.1:10809", "--to", "2")]
    [InlineData("--lun needs --port", "copy", "--lun", "1", "--to", "2")]
    [InlineData("'--to' is required", "copy", "--primary", "1")]
    [InlineData("--port: 'nowhere' is not host:port", "copy", "--port", "nowhere", "--lun", "1", "--to", "2")]
    [InlineData("--timeout applies only with --wait", "copy", "--primary", "1", "--to", "2", "--timeout", "5")]
    [InlineData("'--from' is required", "restore")]
    [InlineData("name the volume: <number>, or --port and --lun", "snapshot", "create")]
    [InlineData("either by <number> or by --port and --lun, not both", "snapshot", "create", "3", "--port", "127.0.0.1:10809", "--lun", "1")]
    [InlineData("name the primary: <primary>, or --port and --lun", "mirror", "list")]
    [InlineData("Required argument missing for command: 'add'", "mirror", "add", "1")]
    [InlineData("name the destination: --to N (this array)", "volume-copy", "--from", "1")]
    [InlineData("not both", "volume-copy", "--from", "1", "--to", "2", "--device", "A2")]
    [InlineData("needs all of --device, --port and --lun", "volume-copy", "--from", "1", "--device", "A2", "--port", "127.0.0.1:10809")]
    [InlineData("--to 1 is the source itself", "volume-copy", "--from", "1", "--to", "1")]
    [InlineData("is not a job ID", "job", "show", "a/b")]
    [InlineData("Required argument missing", "job", "wait")]
    [InlineData("Unrecognized command or argument 'frobnicate'", "job", "frobnicate")]
    public async Task Contradictory_or_incomplete_orders_are_usage_errors(string expected, params string[] args)
    {
        var r = await CliRun.RunAsync(["array", .. args, .. Conn]);
        Assert.Equal(SnapcatCommand.ExitUsage, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public async Task Copy_by_port_sends_the_order_and_prints_the_job_as_json()
    {
        var job = new JobSnapshot("j-9", "mirror-copy", "copy 4 -> 5", JobState.Queued, 0, 0, DateTimeOffset.UnixEpoch, null, null, null, [], null);
        using var server = new FakeArrayServer(r => r.RawPath == "/v1/copies" ? Reply.Json(202, job) : Reply.Empty(500));
        var r = await CliRun.RunAsync("array", "copy", "--port", "127.0.0.1:10809", "--lun", "3", "--to", "5",
            "--url", server.Url, "--token", "t", "--output", "json");
        Assert.Equal(0, r.ExitCode);
        var printed = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal("j-9", printed.GetProperty("id").GetString());
        Assert.Equal("queued", printed.GetProperty("state").GetString());
        var order = JsonSerializer.Deserialize<CopyOrder>(Assert.Single(server.Requests).Body, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Equal(new CopyOrder(null, "127.0.0.1:10809", 3, 5), order);
    }

    [Fact]
    public async Task Waiting_for_a_job_that_fails_exits_1_with_the_arrays_reason()
    {
        var running = new JobSnapshot("j-7", "volume-copy", "volume copy 1 -> volume 2", JobState.Running, 0, 100, DateTimeOffset.UnixEpoch, null, null, null, [], null);
        var failed = running with { State = JobState.Failed, Finished = DateTimeOffset.UnixEpoch, ErrorCode = "volume_copy.failed", ErrorMessage = "disk gone; volume 2 has NO volume information" };
        int polls = 0;
        using var server = new FakeArrayServer(r => (r.Method, r.RawPath) switch
        {
            ("POST", "/v1/volume-copies") => Reply.Json(202, running),
            ("GET", "/v1/jobs/j-7") => Reply.Json(200, Interlocked.Increment(ref polls) < 2 ? running : failed),
            _ => Reply.Empty(500),
        });
        var r = await CliRun.RunAsync("array", "volume-copy", "--from", "1", "--to", "2", "--wait", "--timeout", "30",
            "--url", server.Url, "--token", "t");
        Assert.Equal(SnapcatCommand.ExitError, r.ExitCode);
        Assert.Contains("NO volume information (volume_copy.failed)", r.Stderr);
        Assert.Contains("failed", r.Stdout);  // the job table is printed before the error
    }

    [Fact]
    public async Task Snapshot_delete_refuses_a_volume_that_is_not_a_snapshot()
    {
        var volume = new VolumeDto(3, 1 << 20, 0, "volume", null, DateTimeOffset.UnixEpoch, [], [], [], false, null);
        using var server = new FakeArrayServer(r => (r.Method, r.RawPath) switch
        {
            ("GET", "/v1/volumes/3") => Reply.Json(200, volume),
            _ => Reply.Empty(500),
        });
        var r = await CliRun.RunAsync("array", "snapshot", "delete", "3", "--url", server.Url, "--token", "t");
        Assert.Equal(SnapcatCommand.ExitError, r.ExitCode);
        Assert.Contains("not a snapshot", r.Stderr);
        Assert.DoesNotContain(server.Requests, q => q.Method == "DELETE");
    }
}
