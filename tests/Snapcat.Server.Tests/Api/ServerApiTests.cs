using System.Net;
using System.Net.Http.Headers;
using Snapcat.Core.Errors;
using Snapcat.Server.Config;
using Snapcat.Server.Hosting;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;
using Snapcat.Contracts.Server;

namespace Snapcat.Server.Tests.Api;

/// <summary>The control API's guard and error shapes, on an in-process server without peers.</summary>
public sealed class ServerApiTests : IAsyncLifetime
{
    private readonly TempDir _dir = new("server-api");
    private ServerHost _host = null!;

    public async Task InitializeAsync()
    {
        var config = new LoadedServerConfig(_dir.Combine("server.json"), new Snapcat.Nbd.NbdAddress("127.0.0.1", 0), "tok-1",
            _dir.Combine("catalog.db"), new Dictionary<string, RemoteEndpoint>(), new Dictionary<string, RemoteEndpoint>());
        _host = await ServerHost.StartAsync(config);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _dir.Dispose();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    public async Task Calls_without_the_right_token_get_401_and_change_nothing(string? token)
    {
        using var http = new HttpClient { BaseAddress = new Uri(_host.ControlUrl) };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/v1/definitions"), (HttpMethod.Post, "/v1/catalog/rebuilds"), (HttpMethod.Delete, "/v1/backups/1") })
        {
            using var r = await http.SendAsync(new HttpRequestMessage(method, path));
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Contains(token is null ? "auth.missing" : "auth.bad_token", await r.Content.ReadAsStringAsync());
        }
        Assert.Empty(await _host.Runtime.Jobs.ListAsync());
        // The OpenAPI document is open and lists the routes.
        string doc = await http.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/v1/catalog/rebuilds", doc);
    }

    [Fact]
    public async Task Errors_carry_codes_that_say_what_to_do()
    {
        using var client = new ServerClient(new Uri(_host.ControlUrl), "tok-1");
        var missing = await Assert.ThrowsAsync<SnapcatException>(() => client.GetDefinitionAsync("nope"));
        Assert.Equal(("definition.not_found", ErrorKind.NotFound), (missing.Code, missing.Kind));
        var badId = await Assert.ThrowsAsync<SnapcatException>(() => client.GetBackupAsync(0));
        Assert.Equal("backup.bad_id", badId.Code);
        var noArrays = await client.RebuildAsync(new RebuildRequest());
        var failed = await client.WaitForJobAsync(noArrays.Id, timeout: TimeSpan.FromSeconds(10));
        Assert.Equal("rebuild.no_arrays", failed.ErrorCode);
        var noHost = await Assert.ThrowsAsync<SnapcatException>(() => client.CreateDefinitionAsync(ServerRig.Mirror("x")));
        Assert.Equal("host.unknown", noHost.Code);
        Assert.Contains("none", noHost.Message);
        // The failed rebuild is in the job history, readable by ID.
        await Poll.UntilAsync(() => _host.Runtime.Jobs.PendingSaves == 0, TimeSpan.FromSeconds(10), "history saved");
        Assert.Equal("rebuild.no_arrays", (await _host.Runtime.History.GetAsync(noArrays.Id))?.ErrorCode);
    }

    [Fact]
    public async Task A_job_streams_as_server_sent_events_until_it_ends()
    {
        using var client = new ServerClient(new Uri(_host.ControlUrl), "tok-1");
        var job = await client.RebuildAsync(new RebuildRequest());
        using var http = new HttpClient { BaseAddress = new Uri(_host.ControlUrl), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "tok-1");
        using var r = await http.GetAsync($"/v1/jobs/{job.Id}/events");   // completes only when the stream ends
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("text/event-stream", r.Content.Headers.ContentType?.MediaType);
        var events = (await r.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.StartsWith("event: job\ndata: {", e));
        var last = System.Text.Json.JsonSerializer.Deserialize<Snapcat.Core.Jobs.JobSnapshot>(events[^1].Split("data: ", 2)[1], ServerClient.Json)!;
        Assert.Equal(job.Id, last.Id);
        Assert.Equal(Snapcat.Core.Jobs.JobState.Failed, last.State);
        Assert.Equal("rebuild.no_arrays", last.ErrorCode);

        using var unknown = await http.GetAsync("/v1/jobs/j-000000000000/events");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
