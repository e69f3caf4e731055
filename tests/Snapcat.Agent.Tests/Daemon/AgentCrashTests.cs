using System.Net;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;
using Snapcat.Contracts.Agent;

namespace Snapcat.Agent.Tests.Daemon;

/// <summary>Once a preprocess has run, its postprocess runs: when the array dies mid-copy, and when the agent itself dies.</summary>
public sealed class AgentCrashTests
{
    [Fact]
    public async Task Array_killed_during_the_copy_postprocess_still_runs_job_fails_and_no_record_is_written()
    {
        await using var rig = await AgentRig.StartAsync("ARRAY-AGK", volumeSize: "128M");
        await rig.FillAsync(1, 128L << 20, seed: 3);
        int jobsBefore = await rig.ArrayJobCountAsync();

        var accepted = await AgentRig.Read<JobSnapshot>(await rig.PostAgentAsync("/v1/backups",
            new BackupOrder("mirror", AgentRig.MountPoint, "doomed", rig.Secondary, HookRef.Named("freeze"), HookRef.Named("thaw"))), HttpStatusCode.Accepted);
        // The moment the array lists the copy job, 128 MiB are far from copied: kill it there.
        await Poll.UntilAsync(async () => await rig.ArrayJobCountAsync() > jobsBefore, TimeSpan.FromSeconds(30), "the array to take the copy order");
        rig.ArrayProcess!.KillHard();

        var job = await rig.WaitAgentJobAsync(accepted.Id);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal("array.unreachable", job.ErrorCode);
        Assert.Contains("could not reach the array", job.ErrorMessage);
        Assert.Equal(["freeze pre /srv/db doomed recovered=0", "thaw post /srv/db doomed recovered=0"], rig.HookLines("doomed"));
        // The thaw ran once: right after the array confirmed the copy's start (issue 15.4), or — when the
        // array died before its answer reached the agent — after that failure. Never both.
        bool early = job.Log.Any(l => l.Message.StartsWith("freeze window ", StringComparison.Ordinal));
        bool afterFailure = job.Log.Any(l => l.Level == "warn" && l.Message.Contains("ran after failure"));
        Assert.True(early ^ afterFailure, string.Join('\n', job.Log.Select(l => l.Message)));

        await rig.RestartArrayAsync();
        Assert.Null(await rig.VolumeInfoAsync(rig.Secondary));
    }

    [Fact]
    public async Task Agent_killed_after_the_preprocess_runs_the_postprocess_when_it_starts_again()
    {
        await using var rig = await AgentRig.StartAsync("ARRAY-AGX");
        int jobsBefore = await rig.ArrayJobCountAsync();

        await AgentRig.Read<JobSnapshot>(await rig.PostAgentAsync("/v1/backups",
            new BackupOrder("mirror", AgentRig.MountPoint, "orphan", rig.Secondary, HookRef.Named("slow-freeze"), HookRef.Named("thaw"))), HttpStatusCode.Accepted);
        await Poll.UntilAsync(() => File.Exists(rig.PreReady), TimeSpan.FromSeconds(30), "the preprocess to start");
        rig.AgentProcess!.KillHard();  // the agent and its sleeping preprocess, kill -9
        Assert.Equal(["slow-freeze pre /srv/db orphan recovered=0"], rig.HookLines("orphan"));

        await rig.RestartAgentAsync();
        await Poll.UntilAsync(() => rig.HookLines("orphan").Length == 2, TimeSpan.FromSeconds(60), "the owed postprocess to run");
        Assert.Equal(["slow-freeze pre /srv/db orphan recovered=0", "thaw post /srv/db orphan recovered=1"], rig.HookLines("orphan"));
        await Poll.UntilAsync(() => rig.AgentProcess!.Output.Contains("running pending postprocess hook 'thaw'"), TimeSpan.FromSeconds(30), "the daemon log line");
        // The hook's line is written before the agent clears its journal entry: wait for the recovery job to end
        // before the next restart, or that restart rightly runs the (still owed) postprocess once more.
        var recovery = Assert.Single(await AgentRig.Read<JobSnapshot[]>(await rig.Agent.GetAsync("/v1/jobs")), j => j.Kind == "pending-postprocess");
        Assert.Equal(JobState.Succeeded, (await rig.WaitAgentJobAsync(recovery.Id)).State);
        Assert.Equal(jobsBefore, await rig.ArrayJobCountAsync());  // the copy was never ordered
        Assert.Null(await rig.VolumeInfoAsync(rig.Secondary));

        // The journal is empty now: another restart runs nothing.
        await rig.RestartAgentAsync();
        Assert.Equal(2, rig.HookLines("orphan").Length);
    }

    [Fact]
    public async Task Agent_killed_while_a_preprocess_runs_kills_that_freeze_before_the_owed_thaw_runs()
    {
        await using var rig = await AgentRig.StartAsync("ARRAY-AGO");
        await AgentRig.Read<JobSnapshot>(await rig.PostAgentAsync("/v1/backups",
            new BackupOrder("mirror", AgentRig.MountPoint, "late", rig.Secondary, HookRef.Named("late-freeze"), HookRef.Named("checked-thaw"))), HttpStatusCode.Accepted);
        await Poll.UntilAsync(() => File.Exists(rig.PreReady), TimeSpan.FromSeconds(30), "the preprocess to start");
        int freezePid = int.Parse(File.ReadAllText(rig.PrePid).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        // The agent journals the hook's group right after it started it; the hook may be faster. Kill only once it is
        // journalled: an agent killed in that window (milliseconds) is covered by PDEATHSIG alone, not by this test.
        string journal = rig.Dir.Combine("state", "pending-thaw");
        await Poll.UntilAsync(() => Directory.Exists(journal) && Directory.GetFiles(journal, "*.json").Any(f => File.ReadAllText(f).Contains("\"hookGroup\"", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the agent to journal the freeze's process group");

        rig.KillAgentOnly();  // kill -9 of the agent alone: the sleeping preprocess is not killed by the test
        await rig.RestartAgentAsync();
        await Poll.UntilAsync(() => rig.HookLines("late").Any(l => l.StartsWith("checked-thaw post", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60), "the owed postprocess to run");

        // The thaw saw no process of the freeze still running, and the freeze never finished after it.
        Assert.Equal(["late-freeze pre /srv/db late recovered=0", "checked-thaw post /srv/db late recovered=1"], rig.HookLines("late"));
        // PIDs wrap on a busy host: only processes started before the new agent can be the old group's.
        Assert.Empty(GroupMembers(freezePid, startedBefore: StartTicks(rig.AgentProcess!.Pid)));
        var jobs = await AgentRig.Read<JobSnapshot[]>(await rig.Agent.GetAsync("/v1/jobs"));
        var recovery = Assert.Single(jobs, j => j.Kind == "pending-postprocess");
        var done = await rig.WaitAgentJobAsync(recovery.Id);
        Assert.Equal(JobState.Succeeded, done.State);
        Assert.Contains(done.Log, l => l.Message.Contains($"process group {freezePid}") && l.Message.Contains("killing the group"));
        Assert.Contains(done.Log, l => l.Message.Contains("hook checked-thaw ran"));
    }

    [Fact]
    public async Task An_owed_postprocess_runs_as_a_visible_job_while_the_agent_already_serves_its_API()
    {
        await using var rig = await AgentRig.StartAsync("ARRAY-AGJ");
        await AgentRig.Read<JobSnapshot>(await rig.PostAgentAsync("/v1/backups",
            new BackupOrder("mirror", AgentRig.MountPoint, "owed", rig.Secondary, HookRef.Named("slow-freeze"), HookRef.Named("slow-thaw"))), HttpStatusCode.Accepted);
        await Poll.UntilAsync(() => File.Exists(rig.PreReady), TimeSpan.FromSeconds(30), "the preprocess to start");
        rig.AgentProcess!.KillHard();

        // The owed thaw waits for the release file; the agent must be ready and answer meanwhile.
        await rig.RestartAgentAsync();
        var info = await AgentRig.Read<AgentInfo>(await rig.Agent.GetAsync("/v1/agent"));
        Assert.Equal(AgentRig.Host, info.Host);
        var jobs = await AgentRig.Read<JobSnapshot[]>(await rig.Agent.GetAsync("/v1/jobs"));
        var recovery = Assert.Single(jobs, j => j.Kind == "pending-postprocess");
        Assert.False(recovery.State.IsFinal());
        Assert.Contains("slow-thaw", recovery.Description);

        // A new order with hooks for the same mount point is refused while the owed thaw runs: its freeze
        // would otherwise be undone by the old thaw, or overlap it.
        var blocked = await AgentRig.Read<JobSnapshot>(await rig.PostAgentAsync("/v1/backups",
            new BackupOrder("mirror", AgentRig.MountPoint, "early", rig.Secondary, HookRef.Named("freeze"), HookRef.Named("thaw"))), HttpStatusCode.Accepted);
        var refused = await rig.WaitAgentJobAsync(blocked.Id);
        Assert.Equal(JobState.Failed, refused.State);
        Assert.Equal("hooks.recovery_running", refused.ErrorCode);
        Assert.Empty(rig.HookLines("early"));

        File.WriteAllText(rig.ThawRelease, "");
        var done = await rig.WaitAgentJobAsync(recovery.Id);
        Assert.Equal(JobState.Succeeded, done.State);
        Assert.Contains(done.Log, l => l.Message.Contains("hook slow-thaw ran"));
        Assert.Equal(["slow-freeze pre /srv/db owed recovered=0", "slow-thaw post /srv/db owed recovered=1"], rig.HookLines("owed"));

        var after = await AgentRig.Read<JobSnapshot>(await rig.PostAgentAsync("/v1/backups",
            new BackupOrder("mirror", AgentRig.MountPoint, "later", rig.Secondary, HookRef.Named("freeze"), HookRef.Named("thaw"))), HttpStatusCode.Accepted);
        Assert.Equal(JobState.Succeeded, (await rig.WaitAgentJobAsync(after.Id)).State);
    }

    /// <summary>Live processes of process group <paramref name="pgid"/> (field 5 of /proc/PID/stat) started before a moment (field 22).</summary>
    private static int[] GroupMembers(int pgid, long startedBefore) =>
        Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit))
            .Where(n => Stat(n!) is { } f && f[0] is not ("Z" or "X") && f[2] == pgid.ToString(System.Globalization.CultureInfo.InvariantCulture)
                        && long.Parse(f[19], System.Globalization.CultureInfo.InvariantCulture) < startedBefore)
            .Select(n => int.Parse(n!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private static long StartTicks(int pid) => long.Parse(Stat(pid.ToString(System.Globalization.CultureInfo.InvariantCulture))![19], System.Globalization.CultureInfo.InvariantCulture);

    private static string[]? Stat(string pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (IOException) { return null; }
    }
}
