using System.Net;
using Snapcat.Core.Jobs;
using Snapcat.Contracts.Agent;

namespace Snapcat.Agent.Tests.Daemon;

/// <summary>Issue 15.4: the application is frozen until the array has fixed the copy's point in time, not for the whole copy.</summary>
public sealed class FreezeWindowTests
{
    [Fact]
    public async Task The_postprocess_runs_once_the_copy_began_and_the_volume_information_only_after_it_completed()
    {
        await using var rig = await AgentRig.StartAsync("ARRAY-AGW", volumeSize: "128M");
        var data = await rig.FillAsync(1, 128L << 20, seed: 11);

        var accepted = await AgentRig.Read<JobSnapshot>(await rig.PostAgentAsync("/v1/backups",
            new BackupOrder("mirror", AgentRig.MountPoint, "quick", rig.Secondary, HookRef.Named("freeze"), HookRef.Named("thaw"))), HttpStatusCode.Accepted);
        var job = await rig.WaitAgentJobAsync(accepted.Id);
        Assert.True(job.State == JobState.Succeeded, $"{job.ErrorCode}: {job.ErrorMessage}");
        var log = job.Log.Select(l => l.Message).ToList();

        int copyStarted = log.FindIndex(m => m.StartsWith(AgentJobMarkers.CopyStarted, StringComparison.Ordinal));
        int window = log.FindIndex(m => m.StartsWith("freeze window ", StringComparison.Ordinal));
        int thawed = log.FindIndex(m => m.Contains("postprocess hook 'thaw' finished"));
        int copied = log.FindIndex(m => m.StartsWith("copy to volume ", StringComparison.Ordinal) && m.Contains("complete"));
        int recorded = log.FindIndex(m => m.StartsWith("volume information recorded on", StringComparison.Ordinal));
        Assert.True(copyStarted >= 0 && window > copyStarted && thawed > window && copied > thawed, string.Join('\n', log));
        Assert.True(recorded > copied, string.Join('\n', log));
        Assert.Matches(@"^freeze window \d+ ms", log[window]);

        // The copy is the point-in-time image, and it carries its label only now that it is complete.
        Assert.Equal(AgentRig.Hash(data), await rig.HashLunAsync(rig.PortA, 2));
        Assert.NotNull(await rig.VolumeInfoAsync(rig.Secondary));
        Assert.Equal(["freeze pre /srv/db quick recovered=0", "thaw post /srv/db quick recovered=0"], rig.HookLines("quick"));
    }
}
