using System.Text.Json.Nodes;
using Snapcat.Core.Errors;
using Snapcat.Server.Tests.Fixtures;

namespace Snapcat.Server.Tests.EndToEnd;

/// <summary>
/// Issues 9.11 and 15.3 on real processes: hook names are checked against the agent's own list when a
/// definition is created or changed; schedules more frequent than the server's minimum are refused; a
/// preprocess without a postprocess is refused unless the definition is marked pre-only.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DefinitionCheckTests
{
    private static Task<string> RefusedAsync(ServerRig rig, string name, params string[] more) =>
        rig.CliRefusedAsync(rig.MirrorArgs(name, name, more));

    [Theory]
    [MemberData(nameof(PostgresCollection.Backends), MemberType = typeof(PostgresCollection))]
    public async Task Hooks_the_agent_lacks_too_frequent_schedules_and_a_preprocess_without_postprocess_are_refused(string backend)
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.System("ARRAY-DEFS", PostgresCollection.For(backend)));

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
        await rig.CliOkAsync(rig.MirrorArgs("every-minute", "every-minute", "--schedule", "* * * * *"));

        // 15.3: a preprocess without a postprocess, unless marked pre-only; the error names the rule.
        err = await RefusedAsync(rig, "pre-alone", "--pre", "freeze");
        Assert.Contains("definition.pre_without_post", err);
        Assert.Contains("--pre-only", err);
        var preOnly = JsonNode.Parse(await rig.CliOkAsync(rig.MirrorArgs("pre-alone", "pre-alone", "--pre", "freeze", "--pre-only", "-o", "json")))!;
        Assert.True(preOnly["preOnly"]!.GetValue<bool>());
        Assert.Contains("Pre-only", await rig.CliOkAsync("definition", "show", "pre-alone"));

        // Changing a definition goes through the same checks (PUT /v1/definitions/{name}).
        var current = await rig.Client.GetDefinitionAsync("every-minute");
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => rig.Client.UpdateDefinitionAsync(current with { PreHook = "nope", PostHook = "thaw" }));
        Assert.Equal("definition.hook_unknown", ex.Code);
        ex = await Assert.ThrowsAsync<SnapcatException>(() => rig.Client.UpdateDefinitionAsync(current with { Schedule = "* * * * * *" }));
        Assert.Equal("definition.schedule_too_frequent", ex.Code);
        ex = await Assert.ThrowsAsync<SnapcatException>(() => rig.Client.UpdateDefinitionAsync(current with { PreHook = "freeze" }));
        Assert.Equal("definition.pre_without_post", ex.Code);
        Assert.Null((await rig.Client.GetDefinitionAsync("every-minute")).PreHook);

        // The minimum is server configuration: one hour refuses every five minutes.
        rig.KillServer();
        rig.ServerNode.MinimumIntervalSeconds = 3600;
        await rig.StartServerAsync();
        err = await RefusedAsync(rig, "five-minutes", "--schedule", "*/5 * * * *");
        Assert.Contains("definition.schedule_too_frequent", err);
        Assert.Contains("3600 s", err);
        await rig.CliOkAsync(rig.MirrorArgs("hourly", "hourly", "--schedule", "0 * * * *"));
    }
}
