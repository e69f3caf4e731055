using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Snapcat.Array.Tests.CopyFunctions;
using Snapcat.Array.Tests.Daemon;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.DiskFull;

/// <summary>
/// The agent's state directory (its pending-thaw journal) on a full file system: a backup with a
/// freeze hook fails with storage.full before the hook runs (nothing frozen that nobody would thaw),
/// and the same order succeeds once space is back. Real array and agent daemons, loop-mounted ext4.
/// </summary>
public sealed class AgentDiskFullTests
{
    private const string AgentToken = "agent-full-token";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    [Fact]
    public async Task A_backup_whose_journal_cannot_be_written_fails_with_storage_full_and_runs_once_space_is_back()
    {
        await using var fs = await LoopExt4.CreateAsync(48L << 20);
        await using var a = await RunningArray.StartAsync("ARRAY-AGFULL", dataPortCount: 1);
        var primary = await a.CreateVolumeAsync("4M");
        var secondary = await a.CreateVolumeAsync("4M");
        await a.AssignAsync(primary.Number, 1, readOnly: false);
        await a.AddMirrorAsync(primary.Number, secondary.Number);

        using var dir = new TempDir("agent-full");
        string hookLog = dir.Combine("hooks.log");
        int agentPort = FreePort.Next();
        string Hook(string name) => $$"""{ "command": "/bin/sh", "args": ["-c", "echo {{name}} >> '{{hookLog}}'"], "timeoutSeconds": 30 }""";
        await File.WriteAllTextAsync(dir.Combine("agent.json"), $$"""
            {
              "hostName": "full-host",
              "control": { "listen": "127.0.0.1:{{agentPort}}", "token": "{{AgentToken}}" },
              "stateDirectory": {{JsonSerializer.Serialize(fs.Combine("agent-state"))}},
              "portCorrespondence": [ { "mountPoint": "/srv/full", "deviceFile": "/dev/nbd0", "dataPort": "{{a.DataPorts[0]}}", "lun": 1 } ],
              "restorePorts": [],
              "arrays": { "{{a.DeviceId}}": { "url": "http://127.0.0.1:{{a.ControlPort}}", "token": "{{RunningArray.Token}}" } },
              "hooks": { "freeze": {{Hook("freeze")}}, "thaw": {{Hook("thaw")}} }
            }
            """);
        await using var agent = SnapcatBinary.Start("agent", "serve", "--config", dir.Combine("agent.json"));
        await Poll.UntilAsync(() => agent.Output.Contains("ready:") || agent.HasExited, TimeSpan.FromSeconds(60), "the agent's ready line");
        Assert.False(agent.HasExited, agent.Output);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{agentPort}"), Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AgentToken);
        var order = new
        {
            kind = "mirror", mountPoint = "/srv/full", label = "daily", destinationVolume = secondary.Number,
            preProcess = new { name = "freeze" }, postProcess = new { name = "thaw" },
        };

        await fs.FillAsync();
        var failed = await RunAsync(http, order);
        Assert.Equal(JobState.Failed, failed.State);
        Assert.True(failed.ErrorCode == "storage.full", $"{failed.ErrorCode}: {failed.ErrorMessage}");
        Assert.False(File.Exists(hookLog), "the freeze hook ran although its thaw could not be recorded");

        await fs.FreeAsync();
        var ok = await RunAsync(http, order);
        Assert.True(ok.State == JobState.Succeeded, $"{ok.State} {ok.ErrorCode}: {ok.ErrorMessage}");
        Assert.Equal(["freeze", "thaw"], await File.ReadAllLinesAsync(hookLog));
        Assert.Empty(Directory.GetFiles(fs.Combine("agent-state"), "*", SearchOption.AllDirectories));  // nothing owed
    }

    private static async Task<JobSnapshot> RunAsync(HttpClient http, object order)
    {
        var r = await http.PostAsJsonAsync("/v1/backups", order);
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.Accepted, $"{(int)r.StatusCode}: {body}");
        string id = JsonSerializer.Deserialize<JobSnapshot>(body, Json)!.Id;
        JobSnapshot? job = null;
        await Poll.UntilAsync(async () =>
        {
            job = JsonSerializer.Deserialize<JobSnapshot>(await http.GetStringAsync($"/v1/jobs/{id}"), Json);
            return job!.State is JobState.Succeeded or JobState.Failed or JobState.Cancelled;
        }, TimeSpan.FromSeconds(120), $"agent job {id}");
        return job!;
    }
}
