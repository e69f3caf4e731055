using System.Net;
using Snapcat.Agent.Api;
using Snapcat.Agent.Hooks;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;

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
        Assert.Contains(job.Log, l => l.Level == "warn" && l.Message.Contains("ran after failure"));

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
        Assert.Equal(["slow-freeze pre /srv/db orphan recovered=0", "thaw post /srv/db orphan recovered=1"], rig.HookLines("orphan"));
        Assert.Contains("running pending postprocess hook 'thaw'", rig.AgentProcess!.Output);
        Assert.Equal(jobsBefore, await rig.ArrayJobCountAsync());  // the copy was never ordered
        Assert.Null(await rig.VolumeInfoAsync(rig.Secondary));

        // The journal is empty now: another restart runs nothing.
        await rig.RestartAgentAsync();
        Assert.Equal(2, rig.HookLines("orphan").Length);
    }
}
