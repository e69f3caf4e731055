using System.Security.Cryptography;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Core.VolumeInformation;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;
using Snapcat.Contracts.Server;

namespace Snapcat.Server.Tests.Flows;

/// <summary>Run (FIG. 9/17), delete (FIG. 14), copy (FIG. 19) and restore (FIG. 12/13) against a real array and a real agent.</summary>
public sealed class BackupFlowTests
{
    [Fact]
    public async Task Mirror_run_records_the_volume_information_the_array_holds_and_replaces_the_overwritten_row()
    {
        await using var f = await ServerRig.StartAsync();
        var created = await f.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly") with { PreHook = "freeze", PostHook = "thaw" });
        Assert.Equal(2u, created.DestinationVolume);
        // The backup volume table was filled from the agent's copy destination list (FIG. 8 -> FIG. 4).
        var volumes = await f.Client.ListBackupVolumesAsync();
        Assert.Equal([2u, 3u], Assert.Single(volumes).CopyTo);

        await f.RunAsync("nightly");
        // The real agent took the order and ran its preprocess and postprocess around the copy (steps 1611/1613).
        var order = Assert.Single(await f.AgentJobsAsync());
        Assert.Equal("mirror backup of /data to ARRAY-S1 volume 2 ('nightly')", order.Description);
        Assert.Equal(["freeze pre nightly", "thaw post nightly"], f.HookLines());
        var first = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter()));
        byte[] onArray = (await f.Array.GetVolumeInfoAsync(2))!;
        Assert.Equal(Convert.ToBase64String(onArray), first.VolumeInfo);
        Assert.Equal(("db01", "/data", "mirror", "ARRAY-S1", "2"), (first.Host, first.MountPoint, first.Kind, first.DeviceId, first.MediaId));

        // Step 2401: a second run overwrites volume 2, so the old row goes and one new row stays.
        await f.RunAsync("nightly");
        var second = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter()));
        Assert.NotEqual(first.BackupId, second.BackupId);

        // Job history: both runs are in the catalog's job table once finished.
        await Poll.UntilAsync(() => f.Server!.Runtime.Jobs.PendingSaves == 0, TimeSpan.FromSeconds(10), "job history saved");
        var history = await f.Server!.Runtime.History.ListAsync();
        Assert.Equal(2, history.Count(j => j.Kind == "backup" && j.State == JobState.Succeeded));
    }

    [Fact]
    public async Task Snapshot_generations_beyond_keep_are_deleted_oldest_first_on_the_array_and_in_the_catalog()
    {
        await using var f = await ServerRig.StartAsync();
        await f.Client.CreateDefinitionAsync(ServerRig.Snapshot("hourly", keep: 2));
        for (int i = 0; i < 3; i++) await f.RunAsync("hourly");
        var rows = await f.Client.SearchBackupsAsync(new BackupDataFilter { Kind = "snapshot" });
        Assert.Equal(2, rows.Count);
        var snapshots = await f.Array.ListSnapshotsAsync(1);
        Assert.Equal(rows.Select(r => r.MediaId).Order(), snapshots.Select(s => s.Number.ToString()).Order());
        // The first snapshot (the oldest, lowest number) is the one that went.
        Assert.DoesNotContain(snapshots, s => s.Number == 5);
    }

    [Fact]
    public async Task Delete_removes_the_record_on_the_array_first_then_the_row()
    {
        await using var f = await ServerRig.StartAsync();
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly"));
        await f.RunAsync("nightly");
        var row = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter()));
        var job = await f.Client.DeleteBackupAsync(row.Id);
        ServerClient.EnsureSucceeded(await f.Client.WaitForJobAsync(job.Id, timeout: TimeSpan.FromSeconds(30)));
        Assert.Null(await f.Array.GetVolumeInfoAsync(2));
        Assert.Empty(await f.Client.SearchBackupsAsync(new BackupDataFilter()));
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => f.Client.GetBackupAsync(row.Id));
        Assert.Equal("backup.not_found", ex.Code);
    }

    [Fact]
    public async Task Copy_records_the_destination_with_the_same_volume_information()
    {
        await using var f = await ServerRig.StartAsync();
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly"));
        await f.RunAsync("nightly");
        var source = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter()));
        var job = await f.Client.CopyBackupAsync(source.Id, new CopyRequest(Volume: 4));
        ServerClient.EnsureSucceeded(await f.Client.WaitForJobAsync(job.Id, timeout: TimeSpan.FromSeconds(60)));
        var copy = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter()), r => r.MediaId == "4");
        Assert.Equal("copy", copy.Origin);
        Assert.Equal(source.BackupId, copy.BackupId);
        Assert.Equal(source.Timestamp, copy.Timestamp);
        Assert.Equal(VolumeInfoRecord.Decode((await f.Array.GetVolumeInfoAsync(4))!).BackupId, source.BackupId);
    }

    [Fact]
    public async Task Restores_go_to_the_agent_of_the_backups_host()
    {
        await using var f = await ServerRig.StartAsync();
        // A real ext4 on the primary where the file restore can run (it mounts the backup volume); random bytes otherwise.
        string? noFiles = Needs.FileRestore();
        byte[] hosts = "127.0.0.1 db01\n"u8.ToArray();
        await f.WritePrimaryAsync(noFiles is null
            ? await File.ReadAllBytesAsync(await f.Ext4ImageAsync("content", new Dictionary<string, byte[]> { ["etc/hosts"] = hosts }))
            : RandomNumberGenerator.GetBytes(4 << 20));
        string backedUp = await f.HashPrimaryAsync();
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly"));
        await f.RunAsync("nightly");
        var row = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter()));

        // Production moves on; the whole-volume restore brings the backup back onto the primary.
        await f.WritePrimaryAsync(RandomNumberGenerator.GetBytes(4 << 20));
        var whole = await f.Client.RestoreAsync(row.Id, new RestoreRequest(Force: true));
        ServerClient.EnsureSucceeded(await f.Client.WaitForJobAsync(whole.Id, timeout: TimeSpan.FromSeconds(60)));
        Assert.Equal(backedUp, await f.HashPrimaryAsync());
        var volumeOrder = Assert.Single(await f.AgentJobsAsync(), j => j.Kind == "volume-restore");
        Assert.Equal("restore /data from backup volume 2 (forced)", volumeOrder.Description);

        if (noFiles is not null)
        {
            Console.WriteLine($"SKIPPED file restore part: {noFiles}");
            return;
        }
        string destination = f.Dir.Combine("restored");
        var files = await f.Client.RestoreAsync(row.Id, new RestoreRequest(["etc/hosts"], destination));
        var done = ServerClient.EnsureSucceeded(await f.Client.WaitForJobAsync(files.Id, timeout: TimeSpan.FromSeconds(60)));
        var fileOrder = Assert.Single(await f.AgentJobsAsync(), j => j.Kind == "file-restore");
        Assert.Equal($"restore 1 path(s) from volume 2 of ARRAY-S1 to {destination}", fileOrder.Description);
        Assert.Equal(destination, done.Result?["agentResult"]?["destination"]?.GetValue<string>());
        Assert.Equal(hosts, File.ReadAllBytes(Path.Combine(destination, "etc", "hosts")));
    }

    [Fact]
    public async Task A_failed_agent_job_fails_the_run_with_the_agents_reason_and_records_nothing()
    {
        await using var f = await ServerRig.StartAsync();
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly"));
        // The array refuses the copy: a host holds the copy destination open read-write.
        await f.Array.AssignAsync(2, f.PortB, 5, readOnly: false);
        JobSnapshot final;
        await using (await NbdClient.ConnectAsync(NbdAddress.Parse(f.PortB), "5"))
        {
            var job = await f.Client.RunDefinitionAsync("nightly");
            final = await f.Client.WaitForJobAsync(job.Id, timeout: TimeSpan.FromSeconds(60));
        }
        Assert.Equal(JobState.Failed, final.State);
        Assert.Equal("mirror.destination_in_use", final.ErrorCode);
        Assert.Contains("the copy was not started", final.ErrorMessage);
        Assert.Empty(await f.Client.SearchBackupsAsync(new BackupDataFilter()));
    }
}
