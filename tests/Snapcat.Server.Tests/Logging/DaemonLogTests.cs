using System.Text.Json;
using System.Text.RegularExpressions;
using Snapcat.Core.Config;
using Snapcat.Core.Jobs;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Logging;

/// <summary>
/// What the daemons write to their logs, read from the real processes' output: every job's start and end (with its
/// error code on failure), the scheduler's events, a catalog rebuild, every hook run on the agent and as the server
/// heard of it, each line with ISO 8601 UTC date and time; the <c>logging</c> block's json and systemd formats; and
/// a hook's output in the server's job (API, <c>snapcat job show</c>, and the job history after a restart).
/// </summary>
public sealed partial class DaemonLogTests
{
    private const string Marker = "LOG-MARKER-5c1e";

    [Fact]
    public async Task Jobs_schedules_hooks_and_a_rebuild_leave_dated_lines_in_the_logs_and_hook_output_reaches_the_server_job()
    {
        await using var rig = await StartRigAsync();

        // A scheduled run, every second: its schedule fires and says when it fires next; then the definition goes.
        await rig.CliOkAsync(rig.SnapshotArgs("log-every", "log-every", 1, "--schedule", "* * * * * *"));
        await Poll.UntilAsync(() => rig.ServerNode.Output.Contains("schedule of log-every fired", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "a fired schedule in the server log");
        await rig.CliOkAsync("definition", "delete", "log-every");
        await Poll.UntilAsync(async () => (await rig.Client.ListJobsAsync(100)).All(j => j.State.IsFinal()), TimeSpan.FromSeconds(120), "the scheduled runs to end");

        // A backup whose preprocess speaks, one whose preprocess fails.
        await rig.CliOkAsync(rig.SnapshotArgs("log-snap", "log-snap", 2, "--pre", "say", "--post", "thaw"));
        await rig.CliOkAsync(rig.SnapshotArgs("log-fail", "log-fail", 2, "--pre", "break", "--pre-only"));
        var ok = await rig.RunAsync("log-snap");
        var failed = await rig.WaitAsync(await rig.Client.RunDefinitionAsync("log-fail"));
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal("hook.failed", failed.ErrorCode);

        // The hook's output and outcome in the server's job, headed by the hook's name.
        Assert.Contains(ok.Log, l => l.Message == $"[say stdout] {Marker} pre {ServerRig.MountPoint}");
        Assert.Contains(ok.Log, l => l.Message == "[say stderr] say-warns" && l.Level == "warn");
        Assert.Contains(ok.Log, l => l.Message.StartsWith($"hook run: preprocess say on {ServerRig.MountPoint}: succeeded, exit 0,", StringComparison.Ordinal));
        Assert.Contains(failed.Log, l => l.Message == "[break stdout] about to fail");
        Assert.Contains(failed.Log, l => l.Message.StartsWith($"hook run: preprocess break on {ServerRig.MountPoint}: failed, exit 3,", StringComparison.Ordinal));
        Assert.Contains($"[say stdout] {Marker} pre {ServerRig.MountPoint}", await rig.CliOkAsync("job", "show", ok.Id));

        await Poll.UntilAsync(() => rig.ServerNode.Output.Contains($"job {failed.Id} failed", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the failed job's line");
        string[] server = Lines(rig.ServerNode.Output);
        AssertLine(server, $"job {ok.Id} started: backup, definition log-snap:");
        AssertLine(server, $"job {ok.Id} succeeded: backup, definition log-snap,");
        AssertLine(server, $"job {failed.Id} started: backup, definition log-fail:");
        var failure = AssertLine(server, $"job {failed.Id} failed: backup, definition log-fail,");
        Assert.True(failure.Contains($": {failed.ErrorCode}: {failed.ErrorMessage}", StringComparison.Ordinal), failure);
        Assert.Contains("hook.failed", failure);
        AssertLine(server, $"job {ok.Id}: agent {ServerRig.Host} ran hook say (preprocess) on {ServerRig.MountPoint}: succeeded, exit 0,");
        AssertLine(server, $"job {failed.Id}: agent {ServerRig.Host} ran hook break (preprocess) on {ServerRig.MountPoint}: failed, exit 3,");
        AssertLine(server, "schedule of log-every fired: scheduled run for ");
        AssertLine(server, "schedule of log-every: next run ");
        string[] agent = Lines(rig.AgentNode.Output);
        AssertLine(agent, $"hook say (preprocess) for job ");
        Assert.Contains(agent, l => IsoLine().IsMatch(l) && l.Contains($"on {ServerRig.MountPoint} succeeded: exit 0,", StringComparison.Ordinal));
        Assert.Contains(agent, l => IsoLine().IsMatch(l) && l.Contains($"hook break (preprocess) for job ", StringComparison.Ordinal) && l.Contains("failed: exit 3,", StringComparison.Ordinal));

        // Kept in the catalog's job history: a restarted server shows the hook lines still.
        await rig.StopServerAsync();
        await rig.StartServerAsync();
        Assert.Contains($"[say stdout] {Marker} pre {ServerRig.MountPoint}", await rig.CliOkAsync("job", "show", ok.Id));

        // A catalog rebuild: its start, each array's counts, its end.
        await rig.CliOkAsync("catalog", "rebuild", "--array", rig.DeviceId);
        await Poll.UntilAsync(() => rig.ServerNode.Output.Contains("finished: ", StringComparison.Ordinal) && rig.ServerNode.Output.Contains("catalog rebuild", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the rebuild's last line");
        server = Lines(rig.ServerNode.Output);
        var started = AssertLine(server, "catalog rebuild j-");
        Assert.Contains($"started: arrays {rig.DeviceId}, tape library none", started);
        AssertLine(server, $": array {rig.DeviceId}: ");
        Assert.Contains(server, l => IsoLine().IsMatch(l) && Regex.IsMatch(l, @"catalog rebuild j-\w+ finished: \d+ added, \d+ already there"));
    }

    [Fact]
    public async Task The_logging_block_chooses_json_lines_or_systemd_priority_lines()
    {
        await using var rig = await StartRigAsync();
        rig.ServerNode.Edit = c => c with { Logging = new LoggingConfig { Format = "json" } };
        rig.AgentNode.Edit = c => c with { Logging = new LoggingConfig { Format = "systemd", Level = "debug" } };
        await rig.AgentNode.RestartAsync();
        await rig.StopServerAsync();
        await rig.StartServerAsync();

        await rig.CliOkAsync(rig.SnapshotArgs("log-json", "log-json", 2, "--pre", "say", "--pre-only"));
        var ok = await rig.RunAsync("log-json");
        await Poll.UntilAsync(() => rig.ServerNode.Output.Contains($"job {ok.Id} succeeded", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the job's last line");

        // Every server line but the ready line (stdout) is one JSON object with an ISO 8601 UTC timestamp.
        var entries = Lines(rig.ServerNode.Output).Where(l => !l.StartsWith("snapcat server ready:", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(entries, e => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", e.GetProperty("Timestamp").GetString()));
        var messages = entries.Select(e => e.GetProperty("Message").GetString()!).ToList();
        Assert.Contains(messages, m => m.StartsWith($"job {ok.Id} started: backup, definition log-json:", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith($"job {ok.Id} succeeded: backup, definition log-json,", StringComparison.Ordinal));
        var hook = entries.Single(e => e.GetProperty("Message").GetString()!.Contains("ran hook say", StringComparison.Ordinal));
        Assert.Equal("say", hook.GetProperty("State").GetProperty("Hook").GetString());

        // Every agent line but the ready line starts with a syslog priority; at level debug the hook's output is there too.
        var agent = Lines(rig.AgentNode.Output).Where(l => !l.StartsWith($"snapcat agent {ServerRig.Host} ready:", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(agent);
        Assert.All(agent, l => Assert.Matches(@"^<\d>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", l));
        Assert.Contains(agent, l => l.StartsWith("<6>", StringComparison.Ordinal) && l.Contains("hook say (preprocess) for job ", StringComparison.Ordinal));
        Assert.Contains(agent, l => l.StartsWith("<7>", StringComparison.Ordinal) && l.Contains($"hook say stdout: {Marker} pre", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_logging_block_is_a_configuration_error_naming_the_key()
    {
        await using var rig = await StartRigAsync();
        await rig.StopServerAsync();
        rig.ServerNode.Edit = c => c with { Logging = new LoggingConfig { Format = "xml", Level = "loud" } };
        var e = await Assert.ThrowsAnyAsync<Exception>(rig.StartServerAsync);
        Assert.Contains("logging.format 'xml' is not one of simple, systemd, json", e.Message);
        Assert.Contains("logging.level 'loud' is not one of", e.Message);
    }

    private static async Task<ServerRig> StartRigAsync()
    {
        var rig = await ServerRig.StartAsync(ServerRigOptions.Flows with { ServerProcess = true });
        try
        {
            rig.AgentNode.AddHook("say", "/bin/sh", ["-c", $"echo {Marker} $SNAPCAT_PHASE $SNAPCAT_MOUNT_POINT; echo say-warns >&2"]);
            rig.AgentNode.AddHook("break", "/bin/sh", ["-c", "echo about to fail; exit 3"]);
            await rig.AgentNode.RestartAsync();
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    private static string[] Lines(string output) => output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();

    /// <summary>The one line holding <paramref name="text"/>, which must begin with the date and time (ISO 8601, UTC).</summary>
    private static string AssertLine(string[] lines, string text)
    {
        var hits = lines.Where(l => l.Contains(text, StringComparison.Ordinal)).ToList();
        Assert.True(hits.Count > 0, $"no log line holds '{text}':\n{string.Join('\n', lines)}");
        Assert.All(hits, l => Assert.Matches(IsoLine(), l));
        return hits[0];
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \w+: ")]
    private static partial Regex IsoLine();
}
