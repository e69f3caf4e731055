using System.Text.Json.Nodes;
using Snapcat.Server.Tests.Fixtures;

namespace Snapcat.Server.Tests.EndToEnd;

/// <summary>
/// Issue 15.10 on real processes: <c>server info</c> says which arrays and agents answer, with the error
/// of those that do not; every job snapshot (API, event stream, CLI) carries its rate and an ETA.
/// </summary>
public sealed class ReachabilityTests
{
    [Fact]
    public async Task Server_info_shows_a_down_array_and_jobs_carry_rate_and_eta()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.System("ARRAY-REACH"));
        await rig.CliOkAsync(rig.MirrorArgs("reach-mirror", "reach"));
        var started = JsonNode.Parse(await rig.CliOkAsync("backup", "run", "reach-mirror", "-o", "json"))!;
        string jobId = started["id"]!.GetValue<string>();
        await rig.CliOkAsync("job", "wait", jobId);

        // The finished job: its average rate over the bytes it copied; no time left.
        var job = JsonNode.Parse(await rig.CliOkAsync("job", "show", jobId, "-o", "json"))!;
        Assert.True(job["bytesDone"]!.GetValue<long>() > 0);
        Assert.True(job["bytesPerSecond"]!.GetValue<double>() > 0, job.ToJsonString());
        Assert.Contains("/s", await rig.CliOkAsync("job", "show", jobId));
        string events = await rig.ServerNode.Http.GetStringAsync($"/v1/jobs/{jobId}/events");
        Assert.Contains("\"bytesPerSecond\":", events);
        Assert.Contains("\"etaSeconds\":", events);

        // Everything up.
        var info = JsonNode.Parse(await rig.CliOkAsync("server", "info", "-o", "json"))!;
        var peers = info["reachability"]!.AsArray();
        Assert.Equal(2, peers.Count);
        Assert.All(peers, p => Assert.True(p!["reachable"]!.GetValue<bool>(), p.ToJsonString()));

        // The array goes down: it is shown unreachable with the reason; the agent still answers.
        rig.ArrayNode.KillHard();
        info = JsonNode.Parse(await rig.CliOkAsync("server", "info", "-o", "json"))!;
        var array = info["reachability"]!.AsArray().Single(p => p!["kind"]!.GetValue<string>() == "array")!;
        Assert.Equal(rig.DeviceId, array["name"]!.GetValue<string>());
        Assert.False(array["reachable"]!.GetValue<bool>());
        Assert.False(string.IsNullOrWhiteSpace(array["error"]!.GetValue<string>()));
        var agent = info["reachability"]!.AsArray().Single(p => p!["kind"]!.GetValue<string>() == "agent")!;
        Assert.True(agent["reachable"]!.GetValue<bool>());
        string table = await rig.CliOkAsync("server", "info");
        Assert.Contains("unreachable", table);
        Assert.Contains(rig.DeviceId, table);
    }
}
