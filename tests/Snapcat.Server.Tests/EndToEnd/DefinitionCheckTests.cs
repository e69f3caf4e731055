using System.Text.Json.Nodes;
using Snapcat.Core.Errors;
using Snapcat.Server.Api;

namespace Snapcat.Server.Tests.EndToEnd;

/// <summary>
/// Issues 9.11 and 15.3 on real processes: hook names are checked against the agent's own list when a
/// definition is created or changed; schedules more frequent than the server's minimum are refused; a
/// preprocess without a postprocess is refused unless the definition is marked pre-only.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DefinitionCheckTests
{
    private static string[] Mirror(SystemRig rig, string name, params string[] more) =>
        ["definition", "create", name, "--host", SystemRig.Host, "--mount-point", SystemRig.MountPoint, "--kind", "mirror",
         "--device", rig.DeviceId, "--volume", rig.Secondary.ToString(), "--label", name, .. more, .. rig.Conn];

    private static async Task<string> RefusedAsync(SystemRig rig, string name, params string[] more)
    {
        var r = await SystemRig.CliAsync(Mirror(rig, name, more));
        Assert.True(r.Code != 0, $"definition {name} was accepted:\n{r.Out}");
        return r.Err;
    }

    public static TheoryData<string> Backends()
    {
        var d = new TheoryData<string> { "sqlite" };
        if (Environment.GetEnvironmentVariable("SNAPCAT_TEST_POSTGRES") is { Length: > 0 }) d.Add("postgres");
        return d;
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Hooks_the_agent_lacks_too_frequent_schedules_and_a_preprocess_without_postprocess_are_refused(string backend)
    {
        await using var rig = await SystemRig.StartAsync("ARRAY-DEFS", backend == "postgres" ? Environment.GetEnvironmentVariable("SNAPCAT_TEST_POSTGRES") : null);

        // 9.11: hook names the agent does not have (its list: freeze, gate, thaw).
        string err = await RefusedAsync(rig, "bad-pre", "--pre", "frezee", "--post", "thaw");
        Assert.Contains("definition.hook_unknown", err);
        Assert.Contains("frezee", err);
        Assert.Contains("freeze, gate, thaw", err);
        Assert.Contains("definition.hook_unknown", await RefusedAsync(rig, "bad-post", "--pre", "freeze", "--post", "thwa"));

        // 9.11: the default minimum interval is one minute.
        err = await RefusedAsync(rig, "too-often", "--schedule", "*/10 * * * * *");
        Assert.Contains("definition.schedule_too_frequent", err);
        Assert.Contains("10 s", err);
        await rig.CliOkAsync(Mirror(rig, "every-minute", "--schedule", "* * * * *")[..^2]);

        // 15.3: a preprocess without a postprocess, unless marked pre-only; the error names the rule.
        err = await RefusedAsync(rig, "pre-alone", "--pre", "freeze");
        Assert.Contains("definition.pre_without_post", err);
        Assert.Contains("--pre-only", err);
        var preOnly = JsonNode.Parse(await rig.CliOkAsync([.. Mirror(rig, "pre-alone", "--pre", "freeze", "--pre-only", "-o", "json")[..^2]]))!;
        Assert.True(preOnly["preOnly"]!.GetValue<bool>());
        Assert.Contains("Pre-only", await rig.CliOkAsync("definition", "show", "pre-alone"));

        // Changing a definition goes through the same checks (PUT /v1/definitions/{name}).
        var current = await rig.Server.GetDefinitionAsync("every-minute");
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => rig.Server.UpdateDefinitionAsync(current with { PreHook = "nope", PostHook = "thaw" }));
        Assert.Equal("definition.hook_unknown", ex.Code);
        ex = await Assert.ThrowsAsync<SnapcatException>(() => rig.Server.UpdateDefinitionAsync(current with { Schedule = "* * * * * *" }));
        Assert.Equal("definition.schedule_too_frequent", ex.Code);
        ex = await Assert.ThrowsAsync<SnapcatException>(() => rig.Server.UpdateDefinitionAsync(current with { PreHook = "freeze" }));
        Assert.Equal("definition.pre_without_post", ex.Code);
        Assert.Null((await rig.Server.GetDefinitionAsync("every-minute")).PreHook);

        // The minimum is server configuration: one hour refuses every five minutes.
        rig.KillServer();
        var config = JsonNode.Parse(File.ReadAllText(rig.ServerConfig))!;
        config["scheduling"] = new JsonObject { ["minimumIntervalSeconds"] = 3600 };
        File.WriteAllText(rig.ServerConfig, config.ToJsonString());
        await rig.StartServerAsync();
        err = await RefusedAsync(rig, "five-minutes", "--schedule", "*/5 * * * *");
        Assert.Contains("definition.schedule_too_frequent", err);
        Assert.Contains("3600 s", err);
        await rig.CliOkAsync(Mirror(rig, "hourly", "--schedule", "0 * * * *")[..^2]);
    }
}
