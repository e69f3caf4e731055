using System.Net;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;
using Snapcat.Contracts.Agent;
using Snapcat.Contracts.Array;

namespace Snapcat.Agent.Tests.Daemon;

/// <summary>
/// Issue 9.6 on real array and agent processes: a snapshot backup that fails after its snapshot was taken leaves
/// no snapshot behind without volume information — the agent deletes it again.
/// </summary>
public sealed class SnapshotFailureTests
{
    [Fact]
    public async Task A_failing_postprocess_after_the_snapshot_leaves_no_snapshot_behind()
    {
        await using var rig = await AgentRig.StartAsync("ARRAY-SFAIL");
        var before = await AgentRig.Read<VolumeDto[]>(await rig.Array.GetAsync($"/v1/volumes/{rig.Primary}/snapshots"));
        File.WriteAllText(rig.FailThaw, "");

        var accepted = await AgentRig.Read<JobSnapshot>(await rig.PostAgentAsync("/v1/backups",
            new BackupOrder("snapshot", AgentRig.MountPoint, "thaw-fails", null, HookRef.Named("freeze"), HookRef.Named("thaw"))), HttpStatusCode.Accepted);
        var job = await rig.WaitAgentJobAsync(accepted.Id);
        Assert.Equal(JobState.Failed, job.State);
        // The postprocess ran (and failed); the snapshot it followed is gone again, record and volume.
        Assert.Equal(["freeze pre /srv/db thaw-fails recovered=0", "thaw post /srv/db thaw-fails recovered=0"], rig.HookLines("thaw-fails"));
        var after = await AgentRig.Read<VolumeDto[]>(await rig.Array.GetAsync($"/v1/volumes/{rig.Primary}/snapshots"));
        Assert.Equal(before.Select(v => v.Number), after.Select(v => v.Number));
        Assert.Contains(job.Log, l => l.Message.Contains("deleted again"));

        // Thaw working again: the next backup succeeds and keeps its snapshot, with its record.
        File.Delete(rig.FailThaw);
        var ok = await AgentRig.Read<JobSnapshot>(await rig.PostAgentAsync("/v1/backups",
            new BackupOrder("snapshot", AgentRig.MountPoint, "thaw-works", null, HookRef.Named("freeze"), HookRef.Named("thaw"))), HttpStatusCode.Accepted);
        var done = await rig.WaitAgentJobAsync(ok.Id);
        Assert.True(done.State == JobState.Succeeded, $"{done.ErrorCode}: {done.ErrorMessage}");
        var snapshots = await AgentRig.Read<VolumeDto[]>(await rig.Array.GetAsync($"/v1/volumes/{rig.Primary}/snapshots"));
        var kept = Assert.Single(snapshots);
        Assert.NotNull(await rig.VolumeInfoAsync(kept.Number));
    }

    [Fact]
    public async Task Agent_killed_during_the_postprocess_leaves_a_snapshot_with_its_volume_information()
    {
        await using var rig = await AgentRig.StartAsync("ARRAY-SKILL");
        File.WriteAllText(rig.SlowThaw, "");
        await AgentRig.Read<JobSnapshot>(await rig.PostAgentAsync("/v1/backups",
            new BackupOrder("snapshot", AgentRig.MountPoint, "killed-in-thaw", null, HookRef.Named("freeze"), HookRef.Named("thaw"), "hourly", 77)), HttpStatusCode.Accepted);
        await Poll.UntilAsync(() => File.Exists(rig.PostReady), TimeSpan.FromSeconds(60), "the postprocess to start");
        rig.AgentProcess!.KillHard();   // the agent and its sleeping postprocess, kill -9

        // The snapshot exists and already carries its record: a rebuild imports it, it is no orphan.
        var snapshot = Assert.Single(await AgentRig.Read<VolumeDto[]>(await rig.Array.GetAsync($"/v1/volumes/{rig.Primary}/snapshots")));
        var record = Snapcat.Core.VolumeInformation.VolumeInfoRecord.Decode((await rig.VolumeInfoAsync(snapshot.Number))!);
        Assert.Equal(("killed-in-thaw", "hourly", 77ul), (record.Label, record.DefinitionName, record.CatalogNumber));

        // And the thaw runs again when the agent starts (pending-thaw journal), as a job after the API is up.
        await rig.RestartAgentAsync();
        await Poll.UntilAsync(() => rig.HookLines("killed-in-thaw").Contains("thaw post /srv/db killed-in-thaw recovered=1"),
            TimeSpan.FromSeconds(60), "the owed postprocess to run");
    }
}
