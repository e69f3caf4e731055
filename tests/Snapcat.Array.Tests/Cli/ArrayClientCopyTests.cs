using System.Text;
using System.Text.Json;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Contracts.Array;
using Reply = Snapcat.Array.Tests.Cli.FakeArrayServer.Reply;

namespace Snapcat.Array.Tests.Cli;

public class ArrayClientCopyTests
{
    private static ArrayClient Client(FakeArrayServer s) => new(new Uri(s.Url), "tok-c", TimeSpan.FromSeconds(10));

    private static JobSnapshot Job(string id, JobState state, long done = 0, long total = 100, string? code = null, string? message = null) =>
        new(id, "mirror-copy", "copy 1 -> 2", state, done, total, DateTimeOffset.UnixEpoch, state.IsFinal() ? DateTimeOffset.UnixEpoch : null,
            code, message, [], null);

    private static readonly VolumeDto Snapshot =
        new(9, 1 << 20, 0, "snapshot", 4, DateTimeOffset.UnixEpoch, [], [], [], false, null);

    [Fact]
    public async Task Every_copy_route_has_its_method_path_and_body()
    {
        var mirror = new MirrorDestinationDto(4, 5, "never", null, null, 0, true, null);
        var job = Job("j-1", JobState.Queued);
        using var server = new FakeArrayServer(r => (r.Method, r.RawPath) switch
        {
            ("GET", "/v1/volumes/4/mirrors") => Reply.Json(200, new[] { mirror }),
            ("POST", "/v1/volumes/4/mirrors") => Reply.Json(201, mirror),
            ("DELETE", "/v1/volumes/4/mirrors/5") => Reply.Empty(204),
            ("GET", "/v1/ports/127.0.0.1%3A10809/luns/3/mirrors") => Reply.Json(200, new CopyDestinationsDto("A1", "127.0.0.1:10809", 3, 4, [5])),
            ("POST", "/v1/copies") or ("POST", "/v1/restores") or ("POST", "/v1/volume-copies") => Reply.Json(202, job),
            ("POST", "/v1/volumes/4/snapshots") => Reply.Json(201, Snapshot),
            ("POST", "/v1/ports/127.0.0.1%3A10809/luns/3/snapshots") => Reply.Json(201, Snapshot),
            ("GET", "/v1/volumes/4/snapshots") => Reply.Json(200, new[] { Snapshot }),
            ("GET", "/v1/jobs") => Reply.Json(200, new[] { job }),
            ("GET", "/v1/jobs/j-1") => Reply.Json(200, job),
            ("DELETE", "/v1/jobs/j-1") => Reply.Empty(202),
            _ => Reply.Error(404, "route.not_found", $"{r.Method} {r.RawPath}"),
        });
        using var client = Client(server);

        Assert.Equal(5u, Assert.Single(await client.ListMirrorsAsync(4)).Secondary);
        Assert.True((await client.AddMirrorAsync(4, 5)).NextCopyFull);
        await client.RemoveMirrorAsync(4, 5);
        Assert.Equal([5u], (await client.GetCopyDestinationsAsync("127.0.0.1:10809", 3)).CopyTo);
        Assert.Equal("j-1", (await client.StartCopyAsync(new CopyOrder(null, "127.0.0.1:10809", 3, 5))).Id);
        Assert.Equal("j-1", (await client.StartRestoreAsync(new RestoreOrder(5, 4, Force: true))).Id);
        Assert.Equal("j-1", (await client.StartVolumeCopyAsync(new VolumeCopyOrder(4, null, "A2", "10.0.0.2:10809", 7))).Id);
        Assert.Equal(4u, (await client.CreateSnapshotAsync(4)).SourceVolume);
        Assert.Equal(9u, (await client.CreateSnapshotAsync("127.0.0.1:10809", 3)).Number);
        Assert.Single(await client.ListSnapshotsAsync(4));
        Assert.Single(await client.ListJobsAsync());
        Assert.Equal(JobState.Queued, (await client.GetJobAsync("j-1")).State);
        await client.CancelJobAsync("j-1");

        var rq = server.Requests.ToArray();
        Assert.Equal(13, rq.Length);
        Assert.All(rq, r => Assert.Equal("Bearer tok-c", r.Authorization));
        JsonElement Body(string path) => JsonDocument.Parse(rq.Single(r => r.Method == "POST" && r.RawPath == path).Body).RootElement;
        Assert.Equal(5, Body("/v1/volumes/4/mirrors").GetProperty("secondary").GetInt32());
        var copy = Body("/v1/copies");
        Assert.Equal(JsonValueKind.Null, copy.GetProperty("primary").ValueKind);
        Assert.Equal("127.0.0.1:10809", copy.GetProperty("port").GetString());
        Assert.Equal(3, copy.GetProperty("lun").GetInt32());
        Assert.Equal(5, copy.GetProperty("secondary").GetInt32());
        var restore = Body("/v1/restores");
        Assert.Equal(5, restore.GetProperty("source").GetInt32());
        Assert.Equal(4, restore.GetProperty("primary").GetInt32());
        Assert.True(restore.GetProperty("force").GetBoolean());
        var vc = Body("/v1/volume-copies");
        Assert.Equal(4, vc.GetProperty("source").GetInt32());
        Assert.Equal("A2", vc.GetProperty("destinationDeviceId").GetString());
        Assert.Equal("10.0.0.2:10809", vc.GetProperty("destinationPort").GetString());
        Assert.Equal(7, vc.GetProperty("destinationLun").GetInt32());
    }

    [Theory]
    [InlineData("\"state\":\"Running\"")]
    [InlineData("\"state\":\"running\"")]
    [InlineData("\"state\":1")]
    public async Task A_jobs_state_is_read_as_a_name_or_a_number(string state)
    {
        string body = JsonSerializer.Serialize(Job("j-2", JobState.Queued), new JsonSerializerOptions(JsonSerializerDefaults.Web))
            .Replace("\"state\":0", state);
        using var server = new FakeArrayServer(_ => new Reply(200, Encoding.UTF8.GetBytes(body), "application/json"));
        using var client = Client(server);
        Assert.Equal(JobState.Running, (await client.GetJobAsync("j-2")).State);
    }

    [Fact]
    public async Task Job_ids_are_escaped_as_one_path_segment()
    {
        using var server = new FakeArrayServer(r => Reply.Error(404, "job.not_found", "job 'a b/c' is not known here"));
        using var client = Client(server);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => client.GetJobAsync("a b/c"));
        Assert.Equal(ErrorKind.NotFound, ex.Kind);
        Assert.Equal("job.not_found", ex.Code);
        Assert.Equal("/v1/jobs/a%20b%2Fc", Assert.Single(server.Requests).RawPath);
        await Assert.ThrowsAsync<SnapcatException>(() => client.GetJobAsync(" "));
    }

    [Theory]
    [InlineData(409, "mirror.not_a_destination", "volume 7 is not in the copy destination list of volume 4", ErrorKind.Conflict)]
    [InlineData(404, "volume.not_found", "volume 4 does not exist on this array", ErrorKind.NotFound)]
    [InlineData(400, "volume_copy.size_mismatch", "volume 4 has 1048576 bytes but volume 7 has 2097152", ErrorKind.Invalid)]
    [InlineData(502, "volume_copy.unknown_peer", "array 'X' is not among this array's peers", ErrorKind.Remote)]
    public async Task Refused_orders_become_typed_errors(int status, string code, string message, ErrorKind kind)
    {
        using var server = new FakeArrayServer(_ => Reply.Error(status, code, message));
        using var client = Client(server);
        foreach (var call in new Func<Task>[]
                 {
                     () => client.StartCopyAsync(new CopyOrder(4, null, null, 7)),
                     () => client.StartVolumeCopyAsync(new VolumeCopyOrder(4, 7)),
                     () => client.AddMirrorAsync(4, 7),
                     () => client.CreateSnapshotAsync(4),
                 })
        {
            var ex = await Assert.ThrowsAsync<SnapcatException>(call);
            Assert.Equal((kind, code, message), (ex.Kind, ex.Code, ex.Message));
        }
    }

    [Fact]
    public async Task Wait_polls_until_the_job_is_final_and_reports_every_snapshot()
    {
        int polls = 0;
        using var server = new FakeArrayServer(_ =>
        {
            int n = Interlocked.Increment(ref polls);
            return Reply.Json(200, n < 3 ? Job("j-3", JobState.Running, n * 30) : Job("j-3", JobState.Succeeded, 100));
        });
        using var client = Client(server);
        var seen = new List<long>();
        var final = await client.WaitForJobAsync("j-3", new Collect(s => seen.Add(s.BytesDone)), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(10));
        Assert.Equal(JobState.Succeeded, final.State);
        Assert.Equal([30L, 60L, 100L], seen);
        Assert.Same(final, ArrayClient.EnsureSucceeded(final));
    }

    [Fact]
    public async Task Wait_gives_up_after_its_timeout_and_says_the_job_goes_on()
    {
        using var server = new FakeArrayServer(_ => Reply.Json(200, Job("j-4", JobState.Running, 10)));
        using var client = Client(server);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() =>
            client.WaitForJobAsync("j-4", null, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(20)));
        Assert.Equal("job.wait_timeout", ex.Code);
        Assert.Contains("goes on running", ex.Message);
        Assert.True(server.Requests.Count >= 2);
    }

    [Fact]
    public void A_failed_job_becomes_an_error_with_the_arrays_code_and_message()
    {
        var ex = Assert.Throws<SnapcatException>(() => ArrayClient.EnsureSucceeded(
            Job("j-5", JobState.Failed, code: "volume_copy.failed", message: "volume 3 may hold partial data and has NO volume information")));
        Assert.Equal("volume_copy.failed", ex.Code);
        Assert.Contains("NO volume information", ex.Message);
        var cancelled = Assert.Throws<SnapcatException>(() => ArrayClient.EnsureSucceeded(Job("j-6", JobState.Cancelled)));
        Assert.Equal("job.cancelled", cancelled.Code);
    }

    private sealed class Collect(Action<JobSnapshot> add) : IProgress<JobSnapshot>
    {
        public void Report(JobSnapshot value) => add(value);
    }
}
