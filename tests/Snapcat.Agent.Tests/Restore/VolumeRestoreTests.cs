using System.Text.Json;
using Snapcat.Agent.Handlers;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;
using Snapcat.Contracts.Agent;

namespace Snapcat.Agent.Tests.Restore;

/// <summary>FIG. 12 against a real array: the primary's changed bytes are put back from a mirror secondary or a snapshot.</summary>
[Collection(RestoreCollection.Name)]
public sealed class VolumeRestoreTests(RestoreWorld w)
{
    private async Task<JobSnapshot> RestoreAsync(VolumeRestoreOrder order) =>
        await w.RunJobAsync(VolumeRestoreHandler.Operation, ctx => new VolumeRestoreHandler(w.Runtime).RunAsync(order, ctx));

    private async Task ChangePrimaryAsync()
    {
        await w.WritePrimaryAsync(w.ChangedImage);
        Assert.NotEqual(w.OriginalSha, await w.PrimaryShaAsync());
    }

    [Fact]
    public async Task Restore_from_the_mirror_secondary_brings_back_every_byte_with_pre_and_post_in_order()
    {
        if (w.Unavailable is { } why) { Console.WriteLine($"SKIPPED volume restore test: {why}"); return; }
        await ChangePrimaryAsync();
        w.ClearTrace();

        // Force: nbdcopy has just written the primary, and the array may count its connection a moment
        // after nbdcopy exits; the refusal without force has its own test below.
        var job = await RestoreAsync(new VolumeRestoreOrder(RestoreWorld.MountPoint, w.Secondary, HookRef.Named("pre"), HookRef.Named("post"), Force: true));

        string log = RestoreWorld.LogOf(job);
        Assert.True(job.State == JobState.Succeeded, $"{job.ErrorCode}: {job.ErrorMessage}\n{log}");
        Assert.Equal(w.OriginalSha, await w.PrimaryShaAsync());
        Assert.Equal([$"pre volume-restore {w.Secondary}", "post volume-restore"], w.Trace());
        // pre → array job → post, as the job log tells it.
        int pre = IndexOf(job, "[pre stdout] pre-ran"), order = IndexOf(job, "runs job"), post = IndexOf(job, "[post stdout] post-ran");
        Assert.True(pre >= 0 && pre < order && order < post, log);
        var result = job.Result!.Deserialize<VolumeRestoreResult>(System.Text.Json.JsonSerializerOptions.Web)!;
        Assert.Equal(("mirror", w.Primary, w.Secondary, RestoreWorld.DeviceId), (result.Kind, result.Volume, result.BackupVolume, result.DeviceId));
        Assert.True(job.BytesTotal > 0, "the array job's progress was relayed");
    }

    [Fact]
    public async Task Restore_from_a_snapshot_rolls_the_primary_back_byte_exact()
    {
        if (w.Unavailable is { } why) { Console.WriteLine($"SKIPPED volume restore test: {why}"); return; }
        await ChangePrimaryAsync();

        var job = await RestoreAsync(new VolumeRestoreOrder(RestoreWorld.MountPoint, w.Snapshot, Force: true));

        Assert.True(job.State == JobState.Succeeded, $"{job.ErrorCode}: {job.ErrorMessage}\n{RestoreWorld.LogOf(job)}");
        Assert.Equal("snapshot", job.Result!["kind"]!.GetValue<string>());
        Assert.Equal(w.OriginalSha, await w.PrimaryShaAsync());
    }

    [Fact]
    public async Task When_the_array_refuses_because_writers_are_connected_the_postprocess_still_runs()
    {
        if (w.Unavailable is { } why) { Console.WriteLine($"SKIPPED volume restore test: {why}"); return; }
        w.ClearTrace();
        // A host still has the primary open read-write.
        await using var writer = await NbdClient.ConnectAsync(NbdAddress.Parse(w.DataPorts[0]), "0");
        Assert.False(writer.IsReadOnly);

        var job = await RestoreAsync(new VolumeRestoreOrder(RestoreWorld.MountPoint, w.Secondary, HookRef.Named("pre"), HookRef.Named("post")));

        string log = RestoreWorld.LogOf(job);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal("restore.writers_connected", job.ErrorCode);
        Assert.Equal([$"pre volume-restore {w.Secondary}", "post volume-restore"], w.Trace());
        Assert.Contains("postprocess hook 'post' ran after failure", log);
    }

    [Fact]
    public async Task A_volume_that_is_not_a_backup_of_the_mount_point_is_refused_before_any_hook_runs()
    {
        if (w.Unavailable is { } why) { Console.WriteLine($"SKIPPED volume restore test: {why}"); return; }
        w.ClearTrace();

        var job = await RestoreAsync(new VolumeRestoreOrder(RestoreWorld.MountPoint, w.Blank, HookRef.Named("pre"), HookRef.Named("post")));
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal("restore.not_a_backup_of_volume", job.ErrorCode);
        Assert.Contains($"volume {w.Blank}", job.ErrorMessage);
        Assert.Empty(w.Trace());

        var handler = new VolumeRestoreHandler(w.Runtime);
        var unknown = Assert.Throws<SnapcatException>(() => handler.CheckAgainstConfig(new VolumeRestoreOrder("/not/protected", w.Secondary)));
        Assert.Equal("mount_point.unknown", unknown.Code);
        var hook = Assert.Throws<SnapcatException>(() => handler.CheckAgainstConfig(new VolumeRestoreOrder(RestoreWorld.MountPoint, w.Secondary, HookRef.Named("nope"))));
        Assert.Equal("hook.not_configured", hook.Code);
        Assert.Empty(w.Trace());
    }

    private static int IndexOf(JobSnapshot job, string text)
    {
        for (int i = 0; i < job.Log.Count; i++)
            if (job.Log[i].Message.Contains(text, StringComparison.Ordinal)) return i;
        return -1;
    }
}
