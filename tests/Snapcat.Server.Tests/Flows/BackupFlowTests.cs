using Snapcat.Agent.Api;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Core.VolumeInformation;
using Snapcat.Server.Api;
using Snapcat.Server.Catalog;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Flows;

/// <summary>Run (FIG. 9/17), delete (FIG. 14), copy (FIG. 19) and restore (FIG. 12/13) against a real array and the fake agent.</summary>
public sealed class BackupFlowTests
{
    [Fact]
    public async Task Mirror_run_records_the_volume_information_the_array_holds_and_replaces_the_overwritten_row()
    {
        await using var f = await ServerFixture.StartAsync();
        var created = await f.Client.CreateDefinitionAsync(ServerFixture.Mirror("nightly") with { PreHook = "freeze", PostHook = "thaw" });
        Assert.Equal(2u, created.DestinationVolume);
        // The backup volume table was filled from the agent's copy destination list (FIG. 8 -> FIG. 4).
        var volumes = await f.Client.ListBackupVolumesAsync();
        Assert.Equal([2u, 3u], Assert.Single(volumes).CopyTo);

        await f.RunAsync("nightly");
        var order = Assert.IsType<BackupOrder>(Assert.Single(f.Agent.Orders));
        Assert.Equal("freeze", order.PreProcess?.Name);
        Assert.Equal("thaw", order.PostProcess?.Name);
        var first = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter()));
        byte[] onArray = (await f.Array.Client.GetVolumeInfoAsync(2))!;
        Assert.Equal(Convert.ToBase64String(onArray), first.VolumeInfo);
        Assert.Equal(("db01", "/data", "mirror", "ARRAY-S1", "2"), (first.Host, first.MountPoint, first.Kind, first.DeviceId, first.MediaId));

        // Step 2401: a second run overwrites volume 2, so the old row goes and one new row stays.
        await f.RunAsync("nightly");
        var second = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter()));
        Assert.NotEqual(first.BackupId, second.BackupId);

        // Job history: both runs are in the catalog's job table once finished.
        await Poll.UntilAsync(() => f.Server.Runtime.Jobs.PendingSaves == 0, TimeSpan.FromSeconds(10), "job history saved");
        var history = await f.Server.Runtime.History.ListAsync();
        Assert.Equal(2, history.Count(j => j.Kind == "backup" && j.State == JobState.Succeeded));
    }

    [Fact]
    public async Task Snapshot_generations_beyond_keep_are_deleted_oldest_first_on_the_array_and_in_the_catalog()
    {
        await using var f = await ServerFixture.StartAsync();
        await f.Client.CreateDefinitionAsync(ServerFixture.Snapshot("hourly", keep: 2));
        for (int i = 0; i < 3; i++) await f.RunAsync("hourly");
        var rows = await f.Client.SearchBackupsAsync(new BackupDataFilter { Kind = "snapshot" });
        Assert.Equal(2, rows.Count);
        var snapshots = await f.Array.Client.ListSnapshotsAsync(1);
        Assert.Equal(rows.Select(r => r.MediaId).Order(), snapshots.Select(s => s.Number.ToString()).Order());
        // The first snapshot (the oldest, lowest number) is the one that went.
        Assert.DoesNotContain(snapshots, s => s.Number == 5);
    }

    [Fact]
    public async Task Delete_removes_the_record_on_the_array_first_then_the_row()
    {
        await using var f = await ServerFixture.StartAsync();
        await f.Client.CreateDefinitionAsync(ServerFixture.Mirror("nightly"));
        await f.RunAsync("nightly");
        var row = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter()));
        var job = await f.Client.DeleteBackupAsync(row.Id);
        ServerClient.EnsureSucceeded(await f.Client.WaitForJobAsync(job.Id, timeout: TimeSpan.FromSeconds(30)));
        Assert.Null(await f.Array.Client.GetVolumeInfoAsync(2));
        Assert.Empty(await f.Client.SearchBackupsAsync(new BackupDataFilter()));
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => f.Client.GetBackupAsync(row.Id));
        Assert.Equal("backup.not_found", ex.Code);
    }

    [Fact]
    public async Task Copy_records_the_destination_with_the_same_volume_information()
    {
        await using var f = await ServerFixture.StartAsync();
        await f.Client.CreateDefinitionAsync(ServerFixture.Mirror("nightly"));
        await f.RunAsync("nightly");
        var source = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter()));
        var job = await f.Client.CopyBackupAsync(source.Id, new CopyRequest(Volume: 4));
        ServerClient.EnsureSucceeded(await f.Client.WaitForJobAsync(job.Id, timeout: TimeSpan.FromSeconds(60)));
        var copy = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter()), r => r.MediaId == "4");
        Assert.Equal("copy", copy.Origin);
        Assert.Equal(source.BackupId, copy.BackupId);
        Assert.Equal(source.Timestamp, copy.Timestamp);
        Assert.Equal(VolumeInfoRecord.Decode((await f.Array.Client.GetVolumeInfoAsync(4))!).BackupId, source.BackupId);
    }

    [Fact]
    public async Task Restores_go_to_the_agent_of_the_backups_host()
    {
        await using var f = await ServerFixture.StartAsync();
        await f.Client.CreateDefinitionAsync(ServerFixture.Mirror("nightly"));
        await f.RunAsync("nightly");
        var row = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter()));

        var whole = await f.Client.RestoreAsync(row.Id, new RestoreRequest(Force: true));
        ServerClient.EnsureSucceeded(await f.Client.WaitForJobAsync(whole.Id, timeout: TimeSpan.FromSeconds(60)));
        var files = await f.Client.RestoreAsync(row.Id, new RestoreRequest(["etc/hosts"], "/tmp/restored"));
        var done = ServerClient.EnsureSucceeded(await f.Client.WaitForJobAsync(files.Id, timeout: TimeSpan.FromSeconds(30)));

        var volumeOrder = Assert.Single(f.Agent.Orders.OfType<VolumeRestoreOrder>());
        Assert.Equal(("/data", 2u, true), (volumeOrder.MountPoint, volumeOrder.BackupVolume, volumeOrder.Force));
        var fileOrder = Assert.Single(f.Agent.Orders.OfType<FileRestoreOrder>());
        Assert.Equal(("ARRAY-S1", 2u, "/tmp/restored"), (fileOrder.DeviceId, fileOrder.BackupVolume, fileOrder.Destination));
        Assert.Equal("/tmp/restored", done.Result?["agentResult"]?["destination"]?.GetValue<string>());
    }

    [Fact]
    public async Task A_failed_agent_job_fails_the_run_with_the_agents_reason_and_records_nothing()
    {
        await using var f = await ServerFixture.StartAsync();
        await f.Client.CreateDefinitionAsync(ServerFixture.Mirror("nightly"));
        f.Agent.FailNextBackup = "the array refused the copy";
        var job = await f.Client.RunDefinitionAsync("nightly");
        var final = await f.Client.WaitForJobAsync(job.Id, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(JobState.Failed, final.State);
        Assert.Equal("copy.failed", final.ErrorCode);
        Assert.Contains("the array refused the copy", final.ErrorMessage);
        Assert.Empty(await f.Client.SearchBackupsAsync(new BackupDataFilter()));
    }
}
