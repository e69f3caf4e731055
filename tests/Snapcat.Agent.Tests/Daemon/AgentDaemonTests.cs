using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Snapcat.Core.Jobs;
using Snapcat.Core.VolumeInformation;
using Snapcat.TestKit;
using Snapcat.Contracts.Agent;
using Snapcat.Contracts.Array;

namespace Snapcat.Agent.Tests.Daemon;

/// <summary>One array and one agent (real processes) shared by the tests of this class, which run one after another.</summary>
public sealed class AgentDaemonFixture : IAsyncLifetime
{
    public AgentRig Rig { get; private set; } = null!;
    public byte[] PrimaryData { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Rig = await AgentRig.StartAsync("ARRAY-AGD");
        PrimaryData = await Rig.FillAsync(1, 16L << 20, seed: 11);
    }

    public async Task DisposeAsync() => await Rig.DisposeAsync();
}

public sealed class AgentDaemonTests(AgentDaemonFixture fixture) : IClassFixture<AgentDaemonFixture>
{
    private AgentRig Rig => fixture.Rig;

    [Fact]
    public async Task Agent_info_inquiry_and_copy_destination_list()
    {
        var info = await AgentRig.Read<AgentInfo>(await Rig.Agent.GetAsync("/v1/agent"));
        Assert.Equal(AgentRig.Host, info.Host);
        Assert.Equal([AgentRig.MountPoint, "/srv/ghost"], info.Volumes.Select(v => v.MountPoint));
        Assert.Equal(["checked-thaw", "freeze", "late-freeze", "slow-freeze", "slow-thaw", "thaw"], info.Hooks);
        Assert.False(info.AllowRawCommands);
        Assert.False(Assert.Single(info.RestorePorts).InUse);

        var inquiry = await AgentRig.Read<InquiryDto>(await Rig.Agent.GetAsync($"/v1/inquiry?port={Rig.PortA}&lun=1"));
        Assert.Equal(Rig.DeviceId, inquiry.DeviceId);
        Assert.Equal(Rig.Primary, inquiry.Volume);
        Assert.Equal(16L << 20, inquiry.Size);

        var list = await AgentRig.Read<CopyDestinationListDto>(await Rig.Agent.GetAsync($"/v1/copy-destinations?mountPoint={AgentRig.MountPoint}"));
        Assert.Equal((AgentRig.Host, AgentRig.MountPoint, Rig.DeviceId, Rig.Primary), (list.Host, list.MountPoint, list.DeviceId, list.Volume));
        Assert.Equal([Rig.Secondary], list.CopyTo);

        // FIG. 8 error reports: no such mount point; the array has nothing at the table's port/LUN.
        var unknown = await AgentRig.ExpectErrorAsync(await Rig.Agent.GetAsync("/v1/copy-destinations?mountPoint=/srv/nope"), 404);
        Assert.Equal("mount_point.unknown", unknown.Code);
        Assert.Contains("/srv/nope", unknown.Message);
        var ghost = await AgentRig.ExpectErrorAsync(await Rig.Agent.GetAsync("/v1/copy-destinations?mountPoint=/srv/ghost"), 404);
        Assert.Equal("inquiry.lun_unknown", ghost.Code);
        // The agent inquires only ports it is configured for.
        var foreign = await AgentRig.ExpectErrorAsync(await Rig.Agent.GetAsync("/v1/inquiry?port=127.0.0.1:1&lun=0"), 403);
        Assert.Equal("inquiry.port_not_configured", foreign.Code);
    }

    [Fact]
    public async Task Mirror_backup_runs_pre_copy_post_records_the_volume_information_and_deletion_removes_it()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var accepted = await AgentRig.Read<JobSnapshot>(await Rig.PostAgentAsync("/v1/backups",
            new BackupOrder("mirror", AgentRig.MountPoint, "nightly-m", Rig.Secondary, HookRef.Named("freeze"), HookRef.Named("thaw"), "test definition")),
            HttpStatusCode.Accepted);
        var job = await Rig.WaitAgentJobAsync(accepted.Id);
        Assert.True(job.State == JobState.Succeeded, $"{job.ErrorCode}: {job.ErrorMessage}");
        var after = DateTimeOffset.UtcNow.AddSeconds(1);

        // pre → copy started → post → copy complete (the thaw does not wait for the copy, issue 15.4),
        // in the job log and in the hooks' own file.
        string[] log = job.Log.Select(l => l.Message).ToArray();
        int pre = System.Array.FindIndex(log, m => m.Contains("hook freeze ran"));
        int copy = System.Array.FindIndex(log, m => m.StartsWith("copy started:", StringComparison.Ordinal));
        int copied = System.Array.FindIndex(log, m => m.Contains("complete:"));
        int post = System.Array.FindIndex(log, m => m.Contains("hook thaw ran"));
        Assert.True(pre >= 0 && pre < copy && copy < post && post < copied, string.Join("\n", log));
        Assert.Equal(["freeze pre /srv/db nightly-m recovered=0", "thaw post /srv/db nightly-m recovered=0"], Rig.HookLines("nightly-m"));

        // The record on the secondary, as the array keeps it, and the job's result.
        byte[] raw = (await Rig.VolumeInfoAsync(Rig.Secondary))!;
        var record = VolumeInfoRecord.Decode(raw);
        Assert.Equal(("nightly-m", AgentRig.Host, AgentRig.MountPoint, BackupKind.Mirror, Rig.DeviceId, Rig.Primary),
            (record.Label, record.Host, record.MountPoint, record.Kind, record.SourceDeviceId, record.SourceVolume));
        Assert.InRange(record.Timestamp, before, after);
        Assert.NotEqual(Guid.Empty, record.BackupId);
        var result = job.Result!.Deserialize<BackupResultDto>(AgentRig.Json)!;
        Assert.Equal(("mirror", Rig.DeviceId, Rig.Secondary, Rig.Primary, "nightly-m"), (result.Kind, result.DeviceId, result.Volume, result.SourceVolume, result.Label));
        Assert.Equal(Convert.ToBase64String(raw), result.VolumeInfo);
        Assert.Equal(record.Timestamp, result.Timestamp);

        // The secondary holds the primary's data (read over NBD at its read-only LUN).
        Assert.Equal(AgentRig.Hash(fixture.PrimaryData), await Rig.HashLunAsync(Rig.PortA, 2));

        // FIG. 14: delete the backup data — the record goes, the secondary stays.
        var del = await AgentRig.Read<JobSnapshot>(await Rig.PostAgentAsync("/v1/backup-deletions",
            new BackupDeletionOrder(Rig.DeviceId, Rig.Secondary, IsSnapshot: false)), HttpStatusCode.Accepted);
        Assert.Equal(JobState.Succeeded, (await Rig.WaitAgentJobAsync(del.Id)).State);
        Assert.Null(await Rig.VolumeInfoAsync(Rig.Secondary));
        Assert.Equal(HttpStatusCode.OK, (await Rig.Array.GetAsync($"/v1/volumes/{Rig.Secondary}")).StatusCode);
    }

    [Fact]
    public async Task Snapshot_backup_returns_the_new_volume_with_its_record_and_deletion_removes_the_snapshot()
    {
        var accepted = await AgentRig.Read<JobSnapshot>(await Rig.PostAgentAsync("/v1/backups",
            new BackupOrder("snapshot", AgentRig.MountPoint, "hourly-s", null, HookRef.Named("freeze"), HookRef.Named("thaw"))), HttpStatusCode.Accepted);
        var job = await Rig.WaitAgentJobAsync(accepted.Id);
        Assert.True(job.State == JobState.Succeeded, $"{job.ErrorCode}: {job.ErrorMessage}");
        var result = job.Result!.Deserialize<BackupResultDto>(AgentRig.Json)!;
        Assert.Equal("snapshot", result.Kind);
        Assert.NotEqual(Rig.Primary, result.Volume);
        Assert.NotEqual(Rig.Secondary, result.Volume);

        var snap = await AgentRig.Read<VolumeDto>(await Rig.Array.GetAsync($"/v1/volumes/{result.Volume}"));
        Assert.Equal(("snapshot", (uint?)Rig.Primary), (snap.Kind, snap.SourceVolume));
        var record = VolumeInfoRecord.Decode((await Rig.VolumeInfoAsync(result.Volume))!);
        Assert.Equal(("hourly-s", BackupKind.Snapshot, Rig.Primary, AgentRig.MountPoint), (record.Label, record.Kind, record.SourceVolume, record.MountPoint));
        Assert.Equal(["freeze pre /srv/db hourly-s recovered=0", "thaw post /srv/db hourly-s recovered=0"], Rig.HookLines("hourly-s"));

        // The backup volume streamed out through the agent equals what was backed up.
        var stream = await Rig.Agent.GetAsync($"/v1/streams/volume?deviceId={Rig.DeviceId}&volume={result.Volume}");
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal(16L << 20, stream.Content.Headers.ContentLength);
        Assert.Equal(AgentRig.Hash(fixture.PrimaryData), AgentRig.Hash(await stream.Content.ReadAsByteArrayAsync()));

        var del = await AgentRig.Read<JobSnapshot>(await Rig.PostAgentAsync("/v1/backup-deletions",
            new BackupDeletionOrder(Rig.DeviceId, result.Volume, IsSnapshot: true)), HttpStatusCode.Accepted);
        Assert.Equal(JobState.Succeeded, (await Rig.WaitAgentJobAsync(del.Id)).State);
        Assert.Equal(HttpStatusCode.NotFound, (await Rig.Array.GetAsync($"/v1/volumes/{result.Volume}")).StatusCode);
    }

    [Fact]
    public async Task Streams_write_a_volume_in_exactly_and_release_the_restore_port_on_every_path()
    {
        var v = await Rig.CreateVolumeAsync("8M");
        var data = new byte[8 << 20];
        new Random(5).NextBytes(data);
        data.AsSpan(1 << 20, 4 << 20).Clear();  // a run of zero chunks goes as WRITE_ZEROES
        string url = $"/v1/streams/volume?deviceId={Rig.DeviceId}&volume={v.Number}";

        var put = await Rig.Agent.PutAsync(url, Octets(new ByteArrayContent(data)));
        Assert.True(put.StatusCode == HttpStatusCode.NoContent, await put.Content.ReadAsStringAsync());
        var back = await Rig.Agent.GetAsync(url);
        Assert.Equal(AgentRig.Hash(data), AgentRig.Hash(await back.Content.ReadAsByteArrayAsync()));
        await AssertReleasedAsync(v.Number);

        // Content-Length not the volume's size: refused before the volume is even assigned.
        var wrong = await AgentRig.ExpectErrorAsync(await Rig.Agent.PutAsync(url, Octets(new ByteArrayContent(new byte[4096]))), 400);
        Assert.Equal("stream.bad_length", wrong.Code);
        // No length declared and the body ends early: an error, never 204.
        var shortBody = Octets(new StreamContent(new MemoryStream(new byte[1 << 20])));
        shortBody.Headers.ContentLength = null;
        var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = shortBody };
        request.Headers.TransferEncodingChunked = true;
        var cut = await AgentRig.ExpectErrorAsync(await Rig.Agent.SendAsync(request), 400);
        Assert.Equal("stream.short", cut.Code);
        await AssertReleasedAsync(v.Number);

        var missing = await AgentRig.ExpectErrorAsync(await Rig.Agent.GetAsync($"/v1/streams/volume?deviceId={Rig.DeviceId}&volume=999"), 404);
        Assert.Equal("volume.not_found", missing.Code);
        var noArray = await AgentRig.ExpectErrorAsync(await Rig.Agent.GetAsync("/v1/streams/volume?deviceId=ARRAY-ZZ&volume=1"), 404);
        Assert.Equal("array.unknown", noArray.Code);
    }

    [Fact]
    public async Task Bad_orders_are_refused_with_a_clear_error_and_change_nothing()
    {
        int arrayJobs = await Rig.ArrayJobCountAsync();
        byte[]? secondaryInfo = await Rig.VolumeInfoAsync(Rig.Secondary);
        string marker = Rig.Dir.Combine("raw-ran");

        async Task<string> Refused(BackupOrder order, int status)
        {
            var e = await AgentRig.ExpectErrorAsync(await Rig.PostAgentAsync("/v1/backups", order), status);
            return e.Code;
        }
        Assert.Equal("backup.destination_not_in_copy_list", await Refused(
            new BackupOrder("mirror", AgentRig.MountPoint, "bad-1", 999, HookRef.Named("freeze"), HookRef.Named("thaw")), 400));
        Assert.Equal("hook.not_configured", await Refused(
            new BackupOrder("mirror", AgentRig.MountPoint, "bad-2", Rig.Secondary, HookRef.Named("freeze"), HookRef.Named("no-such-hook")), 403));
        Assert.Equal("hook.raw_not_allowed", await Refused(
            new BackupOrder("snapshot", AgentRig.MountPoint, "bad-3", null, HookRef.Raw($"touch {marker}"), HookRef.Named("thaw")), 403));
        Assert.Equal("mount_point.unknown", await Refused(new BackupOrder("mirror", "/srv/nope", "bad-4", Rig.Secondary), 404));
        Assert.Equal("backup.bad_kind", await Refused(new BackupOrder("tape", AgentRig.MountPoint, "bad-5"), 400));
        Assert.Equal("backup.label_too_long", await Refused(new BackupOrder("snapshot", AgentRig.MountPoint, new string('x', 65)), 400));
        Assert.Equal("backup.missing_destination", await Refused(new BackupOrder("mirror", AgentRig.MountPoint, "bad-6"), 400));

        var notSnap = await AgentRig.ExpectErrorAsync(await Rig.PostAgentAsync("/v1/backup-deletions",
            new BackupDeletionOrder(Rig.DeviceId, Rig.Primary, IsSnapshot: true)), 400);
        Assert.Equal("deletion.not_a_snapshot", notSnap.Code);

        using (var anonymous = new HttpClient(Rig.AgentHandler()) { BaseAddress = Rig.Agent.BaseAddress })
        {
            Assert.Equal("auth.missing", (await AgentRig.ExpectErrorAsync(await anonymous.GetAsync("/v1/agent"), 401)).Code);
            anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
            var order = System.Net.Http.Json.JsonContent.Create(new BackupOrder("snapshot", AgentRig.MountPoint, "bad-7", null, HookRef.Named("freeze")));
            Assert.Equal("auth.bad_token", (await AgentRig.ExpectErrorAsync(await anonymous.PostAsync("/v1/backups", order), 401)).Code);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/openapi/v1.json")).StatusCode);
        }

        // Nothing ran, nothing was ordered, nothing was written.
        Assert.False(File.Exists(marker));
        foreach (var label in new[] { "bad-1", "bad-2", "bad-3", "bad-4", "bad-7" }) Assert.Empty(Rig.HookLines(label));
        Assert.Equal(arrayJobs, await Rig.ArrayJobCountAsync());
        Assert.Equal(secondaryInfo, await Rig.VolumeInfoAsync(Rig.Secondary));
        Assert.Equal(HttpStatusCode.OK, (await Rig.Array.GetAsync($"/v1/volumes/{Rig.Primary}")).StatusCode);
        Assert.DoesNotContain(await AgentRig.Read<JobSnapshot[]>(await Rig.Agent.GetAsync("/v1/jobs")), j => j.Description.Contains("bad-"));
    }

    [Fact]
    public async Task Cancelling_a_backup_during_its_preprocess_still_runs_the_postprocess_and_orders_no_copy()
    {
        int arrayJobs = await Rig.ArrayJobCountAsync();
        File.Delete(Rig.PreReady);
        var accepted = await AgentRig.Read<JobSnapshot>(await Rig.PostAgentAsync("/v1/backups",
            new BackupOrder("mirror", AgentRig.MountPoint, "cancelled-m", Rig.Secondary, HookRef.Named("slow-freeze"), HookRef.Named("thaw"))),
            HttpStatusCode.Accepted);
        await Poll.UntilAsync(() => File.Exists(Rig.PreReady), TimeSpan.FromSeconds(30), "the preprocess to start");
        Assert.Equal(HttpStatusCode.Accepted, (await Rig.Agent.DeleteAsync($"/v1/jobs/{accepted.Id}")).StatusCode);

        var job = await Rig.WaitAgentJobAsync(accepted.Id);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.Equal(["slow-freeze pre /srv/db cancelled-m recovered=0", "thaw post /srv/db cancelled-m recovered=0"], Rig.HookLines("cancelled-m"));
        Assert.Equal(arrayJobs, await Rig.ArrayJobCountAsync());
        Assert.Equal("job.not_found", (await AgentRig.ExpectErrorAsync(await Rig.Agent.DeleteAsync("/v1/jobs/j-000000000000"), 404)).Code);
    }

    [Fact]
    public async Task Agent_serve_with_a_bad_configuration_lists_every_problem_and_exits_2()
    {
        string bad = Rig.Dir.Combine("bad-agent.json");
        await File.WriteAllTextAsync(bad, """{ "hostName": "", "control": { "insecure": true, "listen": "nowhere" }, "stateDirectory": "s" }""");
        var r = await SnapcatBinary.RunAsync(["agent", "serve", "--config", bad], TimeSpan.FromSeconds(60));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("hostName is missing", r.Stderr);
        Assert.Contains("neither token nor tokenFile", r.Stderr);
        Assert.Equal(2, (await SnapcatBinary.RunAsync(["agent", "serve"], TimeSpan.FromSeconds(60))).ExitCode);
    }

    private async Task AssertReleasedAsync(uint volume)
    {
        var v = await AgentRig.Read<VolumeDto>(await Rig.Array.GetAsync($"/v1/volumes/{volume}"));
        Assert.Empty(v.Assignments);
        var info = await AgentRig.Read<AgentInfo>(await Rig.Agent.GetAsync("/v1/agent"));
        Assert.False(Assert.Single(info.RestorePorts).InUse);
    }

    private static HttpContent Octets(HttpContent c)
    {
        c.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return c;
    }
}
