using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;
using Snapcat.Contracts.Server;

namespace Snapcat.Server.Tests.Api;

/// <summary>
/// One encoding of a job's state wherever it leaves the server: the REST job (it was the number 3), the server-sent
/// event (it was "Failed") and the CLI's --json output (it was "failed") all say "failed" — and so does the job read
/// back from the catalog's job history after a restart, where the state column keeps its number.
/// </summary>
public sealed class JobEncodingTests
{
    private const string Token = "enc-token";

    [Fact]
    public async Task A_failed_job_says_failed_in_rest_in_its_event_stream_in_the_cli_and_from_history()
    {
        using var dir = new TempDir("job-encoding");
        int port = FreePort.Next();
        string config = dir.Combine("server.json");
        await File.WriteAllTextAsync(config, $$"""
            { "control": { "insecure": true, "listen": "127.0.0.1:{{port}}", "token": "{{Token}}" }, "agents": {}, "arrays": {} }
            """);
        string url = $"http://127.0.0.1:{port}";
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        var server = await StartServerAsync(config);
        string jobId;
        try
        {
            // A rebuild with no arrays configured fails at once: rebuild.no_arrays.
            using var started = await http.PostAsync("/v1/catalog/rebuilds", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
            var accepted = JsonNode.Parse(await started.Content.ReadAsStringAsync())!;
            jobId = accepted["id"]!.GetValue<string>();
            AssertStateName(accepted, "queued", "running", "failed");

            using var events = await http.GetAsync($"/v1/jobs/{jobId}/events");   // ends with the job
            var data = (await events.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
                .Select(e => JsonNode.Parse(e.Split("data: ", 2)[1])!).ToArray();
            Assert.NotEmpty(data);
            Assert.All(data, d => AssertStateName(d, "queued", "running", "failed"));
            Assert.Equal("failed", data[^1]["state"]!.GetValue<string>());

            var rest = JsonNode.Parse(await http.GetStringAsync($"/v1/jobs/{jobId}"))!;
            Assert.Equal("failed", rest["state"]!.GetValue<string>());
            Assert.Equal("rebuild.no_arrays", rest["errorCode"]!.GetValue<string>());
            var listed = JsonNode.Parse(await http.GetStringAsync("/v1/jobs"))!.AsArray();
            Assert.Equal("failed", listed.Single(j => j!["id"]!.GetValue<string>() == jobId)!["state"]!.GetValue<string>());

            Assert.Equal("failed", await CliStateAsync(url, jobId));

            // The typed client reads the same text back as the enum.
            using var client = new ServerClient(new Uri(url), Token);
            Assert.Equal(JobState.Failed, (await client.GetJobAsync(jobId)).State);
        }
        finally
        {
            await server.DisposeAsync();
        }

        // From the job history (state stored as its number): the same name.
        server = await StartServerAsync(config);
        await using (server)
        {
            var saved = JsonNode.Parse(await http.GetStringAsync($"/v1/jobs/{jobId}"))!;
            Assert.Equal("failed", saved["state"]!.GetValue<string>());
            Assert.Equal("failed", await CliStateAsync(url, jobId));
            using var events = await http.GetAsync($"/v1/jobs/{jobId}/events");
            var only = (await events.Content.ReadAsStringAsync()).Split("data: ", 2)[1];
            Assert.Equal("failed", JsonNode.Parse(only)!["state"]!.GetValue<string>());
        }
    }

    private static void AssertStateName(JsonNode job, params string[] names)
    {
        var state = job["state"]!;
        Assert.Equal(System.Text.Json.JsonValueKind.String, state.GetValueKind());
        Assert.Contains(state.GetValue<string>(), names);
    }

    private static async Task<string> CliStateAsync(string url, string jobId)
    {
        var r = await SnapcatBinary.RunAsync(["job", "show", jobId, "-o", "json", "--server", url, "--token", Token], TimeSpan.FromSeconds(120));
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        var state = JsonNode.Parse(r.Stdout)!["state"]!;
        Assert.Equal(System.Text.Json.JsonValueKind.String, state.GetValueKind());
        return state.GetValue<string>();
    }

    private static async Task<ChildProcess> StartServerAsync(string config)
    {
        var p = SnapcatBinary.Start("server", "serve", "--config", config);
        await Poll.UntilAsync(() => p.Output.Contains("snapcat server ready:") || p.HasExited, TimeSpan.FromSeconds(60), "the server's ready line");
        Assert.False(p.HasExited, p.Output);
        return p;
    }
}
