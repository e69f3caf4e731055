using System.Text.Json;
using Snapcat.Contracts.Server;
using Snapcat.Core.Errors;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.DayTwo;

/// <summary>
/// <c>snapcat definition update|enable|disable</c> (PATCH /v1/definitions/{name}) against a real array, agent and
/// server: the next run moves with the schedule, the agent's hooks are checked, roles are enforced, and the running
/// scheduler leaves a disabled definition alone until it is enabled.
/// </summary>
public sealed class DefinitionUpdateTests
{
    private static readonly ServerRigOptions WithRoles = ServerRigOptions.Flows with
    {
        ServerCredentials = new Dictionary<string, string> { ["viewer"] = "read-only", ["ops"] = "operator" },
    };

    private static DefinitionDto Json(string output) => JsonSerializer.Deserialize<DefinitionDto>(output, ServerClient.Json)!;

    [Fact]
    public async Task Update_changes_the_schedule_and_the_next_run_moves_and_a_hook_the_agent_lacks_is_refused()
    {
        await using var f = await ServerRig.StartAsync();
        await f.CliOkAsync(f.SnapshotArgs("daily", "daily", 3, "--schedule", "0 2 * * *"));
        var before = Json(await f.CliOkAsync("definition", "show", "daily", "-o", "json"));
        Assert.Equal(2, before.NextRun!.Value.UtcDateTime.Hour);

        var after = Json(await f.CliOkAsync("definition", "update", "daily", "--schedule", "30 3 * * *", "--time-zone", "Europe/Berlin",
            "--label", "nightly", "--keep-generations", "5", "-o", "json"));
        Assert.Equal(("30 3 * * *", "Europe/Berlin", "nightly", 5), (after.Schedule, after.TimeZone, after.Label, after.KeepGenerations));
        var next = TimeZoneInfo.ConvertTime(after.NextRun!.Value, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));
        Assert.Equal((3, 30), (next.Hour, next.Minute));
        Assert.Equal(after.NextRun, (await f.Client.GetDefinitionAsync("daily")).NextRun);
        Assert.Equal("daily", after.Name);
        Assert.Equal(before.Created, after.Created);

        // Retention rules (docs/retention.md) change with the same command, replacing the old rules as a whole.
        var kept = Json(await f.CliOkAsync("definition", "update", "daily", "--keep-last", "5", "--keep-daily", "7", "-o", "json"));
        Assert.Equal((5, 7, (int?)null), (kept.Retention!.KeepLast, kept.Retention.KeepDaily, kept.Retention.KeepWeekly));
        Assert.Equal(7, (await f.Client.GetDefinitionAsync("daily")).Retention!.KeepDaily);

        // The same checks as create: the hook names are asked from the agent; nothing is stored when one is missing.
        string err = await f.CliRefusedAsync("definition", "update", "daily", "--pre-hook", "no-such-hook", "--post-hook", "thaw");
        Assert.Contains("no-such-hook", err);
        Assert.Null((await f.Client.GetDefinitionAsync("daily")).PreHook);
        var hooked = Json(await f.CliOkAsync("definition", "update", "daily", "--pre", "freeze", "--post", "thaw", "-o", "json"));
        Assert.Equal(("freeze", "thaw"), (hooked.PreHook, hooked.PostHook));
        // "" clears: back to by hand only.
        var byHand = Json(await f.CliOkAsync("definition", "update", "daily", "--schedule", "", "-o", "json"));
        Assert.Null(byHand.Schedule);
        Assert.Null(byHand.NextRun);
        Assert.Contains("nothing_to_change", (await ServerRig.CliAsync(["definition", "update", "daily", .. f.Conn])).Err);
        Assert.Contains("definition.not_found", await f.CliRefusedAsync("definition", "update", "no-such", "--label", "x"));
    }

    [Fact]
    public async Task A_read_only_token_is_refused_with_403_for_update_enable_and_disable_and_an_operator_may()
    {
        await using var f = await ServerRig.StartAsync(WithRoles);
        await f.Client.CreateDefinitionAsync(ServerRig.Snapshot("nightly") with { Schedule = "0 2 * * *" });
        using var viewer = f.ClientAs("viewer");
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => viewer.PatchDefinitionAsync("nightly", new DefinitionPatch { Schedule = "0 4 * * *" }));
        Assert.Equal((ErrorKind.Forbidden, "auth.role"), (ex.Kind, ex.Code));
        Assert.Contains("PATCH /v1/definitions/{name} on the backup server needs the operator role", ex.Message);
        string[] asViewer = ["--server", f.Client.BaseUrl.ToString(), "--token", f.ServerNode.TokenOf("viewer"), "--fingerprint", f.ServerNode.Fingerprint!];
        foreach (string[] args in new[] { new[] { "definition", "disable", "nightly" }, ["definition", "enable", "nightly"], ["definition", "update", "nightly", "--label", "x"] })
        {
            var r = await ServerRig.CliAsync([.. args, .. asViewer]);
            Assert.Equal(1, r.Code);
            Assert.Contains("needs the operator role", r.Err);
        }
        var unchanged = await f.Client.GetDefinitionAsync("nightly");
        Assert.Equal(("0 2 * * *", true, "hourly"), (unchanged.Schedule, unchanged.Enabled, unchanged.Label));

        using var ops = f.ClientAs("ops");
        var disabled = await ops.PatchDefinitionAsync("nightly", new DefinitionPatch { Enabled = false });
        Assert.Equal(false, disabled.Enabled);
        Assert.Null(disabled.NextRun);
        // PUT (the whole definition) keeps the enabled state and stays an admin's.
        var put = await f.Client.UpdateDefinitionAsync(ServerRig.Snapshot("nightly", label: "put") with { Schedule = "0 2 * * *" });
        Assert.Equal((false, "put"), (put.Enabled, put.Label));
        Assert.Equal("auth.role", (await Assert.ThrowsAsync<SnapcatException>(() => ops.UpdateDefinitionAsync(ServerRig.Snapshot("nightly")))).Code);
    }

    [Fact]
    public async Task The_running_scheduler_never_fires_a_disabled_definition_and_enabling_brings_it_back()
    {
        await using var f = await ServerRig.StartAsync();
        // Both every two seconds; "pacer" shows that the scheduler went past occurrences of "off" too.
        await f.Client.CreateDefinitionAsync(ServerRig.Snapshot("pacer", keep: 20, label: "pacer") with { Schedule = "*/2 * * * * *" });
        var created = await f.Client.CreateDefinitionAsync(ServerRig.Snapshot("off", keep: 20, label: "off") with { Schedule = "*/2 * * * * *", Enabled = false });
        Assert.Equal(false, created.Enabled);
        Assert.Null(created.NextRun);
        string list = await f.CliOkAsync("definition", "list");
        Assert.Contains("disabled", list.Split('\n').Single(l => l.Contains(" off ")));
        Assert.Contains("no: the scheduler does not fire it", await f.CliOkAsync("definition", "show", "off"));

        await Poll.UntilAsync(async () => (await f.Client.ListScheduleEventsAsync()).Count(e => e.Definition == "pacer" && e.What == "started") >= 3,
            TimeSpan.FromSeconds(60), "three scheduled runs of pacer");
        Assert.DoesNotContain(await f.Client.ListScheduleEventsAsync(), e => e.Definition == "off");
        Assert.DoesNotContain(await f.Client.ListJobsAsync(200), j => j.Description.Contains("'off'"));
        Assert.Empty(await f.Client.SearchBackupsAsync(new BackupDataFilter { Definition = "off" }));

        string disabled = await f.CliOkAsync("definition", "disable", "pacer");
        Assert.Contains("'snapcat backup run pacer' still runs it by hand", disabled);
        string enabled = await f.CliOkAsync("definition", "enable", "off");
        Assert.Contains("enabled off; next run: ", enabled);
        Assert.DoesNotContain("disabled", enabled);
        await Poll.UntilAsync(async () => (await f.Client.ListScheduleEventsAsync()).Any(e => e.Definition == "off" && e.What == "started"),
            TimeSpan.FromSeconds(30), "a scheduled run of off once enabled");
        // Enabling does not count the disabled time as missed runs.
        Assert.DoesNotContain(await f.Client.ListScheduleEventsAsync(), e => e.Definition == "off" && e.What == "missed");
        // A disabled definition still runs by hand.
        await Poll.UntilAsync(async () => !(await f.Client.GetDefinitionAsync("pacer")).Running, TimeSpan.FromSeconds(60), "pacer's last scheduled run to end");
        var byHand = await f.RunAsync("pacer");
        Assert.Contains(byHand.Log, l => l.Message.Contains("started by hand; the definition is disabled"));
    }
}
