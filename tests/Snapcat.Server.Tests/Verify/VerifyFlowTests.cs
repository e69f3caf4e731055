using System.Globalization;
using Snapcat.Contracts.Server;
using Snapcat.Core.Errors;
using Snapcat.Core.Integrity;
using Snapcat.Core.Jobs;
using Snapcat.Server.Config;
using Snapcat.Server.Notifications;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.Server.Tests.Notifications;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Verify;

/// <summary>
/// Verify jobs on the real system (array, agent, server): a disk backup verified array-side, its digest in the catalog
/// row, a flipped byte in the array's volume file found as a mismatch and notified, a snapshot sealed by its first verify.
/// </summary>
public sealed class VerifyFlowTests
{
    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_mirror_backups_row_has_the_arrays_digest_and_verify_seals_then_matches()
    {
        await using var rig = await ServerRig.StartAsync();
        var (data, row) = await rig.MirrorBackupAsync(seed: 31);
        string expected = ContentDigest.Compute(data).RootText;   // the whole secondary: the random part and the zeros after it
        // Recorded with the backup: whatever digest the array kept for the secondary (it computes one while it copies).
        var kept = await rig.Array.GetDigestAsync(rig.Secondary);
        Assert.Equal(kept?.Root, row.Digest);
        if (kept is not null) Assert.Equal(expected, kept.Root);

        var first = await rig.WaitAsync(await rig.Client.StartBackupVerifyAsync(row.Id));
        ServerClient.EnsureSucceeded(first);
        Assert.Equal(row.Digest is null ? "sealed" : "ok", first.Result!["outcome"]!.GetValue<string>());
        Assert.Equal(expected, first.Result!["root"]!.GetValue<string>());
        Assert.Equal(rig.VolumeBytes, first.Result!["bytes"]!.GetValue<long>());
        // The row has the digest now, the one the array keeps, and it is the data's.
        Assert.Equal(expected, (await rig.Client.GetBackupAsync(row.Id)).Digest);
        Assert.Equal(expected, (await rig.Array.GetDigestAsync(rig.Secondary))!.Root);

        var second = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.StartBackupVerifyAsync(row.Id)));
        Assert.Equal("ok", second.Result!["outcome"]!.GetValue<string>());
        Assert.Equal(expected, second.Result!["expectedRoot"]!.GetValue<string>());

        var history = await rig.Client.ListVerificationsAsync(row.Id);
        Assert.Equal(2, history.Count);
        Assert.Equal(["ok", row.Digest is null ? "sealed" : "ok"], history.Select(h => h.Outcome));   // newest first
        Assert.Equal(second.Id, history[0].JobId);
        Assert.All(history, h => Assert.Equal(expected, h.Root));
        Assert.All(history, h => Assert.Equal(rig.VolumeBytes, h.Bytes));

        // The CLI: 'backup verify' waits for the job, 'backup verifications' lists the history.
        await rig.CliOkAsync("backup", "verify", Id(row.Id), "--wait");
        string listed = await rig.CliOkAsync("backup", "verifications", Id(row.Id));
        Assert.Contains(expected[..20], listed);
        Assert.Equal(3, (await rig.Client.ListVerificationsAsync(row.Id)).Count);

        // Bad input: an unknown backup is a 404 before any job, a malformed ID a 400.
        var missing = await Assert.ThrowsAsync<SnapcatException>(() => rig.Client.StartBackupVerifyAsync(9999));
        Assert.Equal("backup.not_found", missing.Code);
        Assert.Equal("backup.not_found", (await Assert.ThrowsAsync<SnapcatException>(() => rig.Client.ListVerificationsAsync(9999))).Code);
        Assert.Contains("backup.bad_id", await rig.CliRefusedAsync("backup", "verifications", "0"));
    }

    [Fact]
    public async Task A_flipped_byte_in_the_arrays_volume_file_fails_verify_with_digest_mismatch_records_it_and_notifies()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var rig = await ServerRig.StartAsync();
        await rig.StopServerAsync();
        rig.ServerNode.Edit = c => c with
        {
            Notifications = new NotificationsConfig { Webhooks = [new WebhookConfig { Url = receiver.Url.ToString(), Events = [NotificationKind.VerifyFailed] }] },
        };
        await rig.StartServerAsync();

        var (data, row) = await rig.MirrorBackupAsync(seed: 32);
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.StartBackupVerifyAsync(row.Id)));
        string good = ContentDigest.Compute(data).RootText;
        Assert.Equal(good, (await rig.Client.GetBackupAsync(row.Id)).Digest);

        // One byte of the secondary changes behind the array's back (bit rot): in its volume file, in the second chunk.
        string file = Path.Combine(rig.ArrayNode.DataPath, Snapcat.Array.Volumes.VolumeManager.VolumesFolder, Snapcat.Array.Volumes.VolumeManager.FileName(rig.Secondary));
        Snapcat.Server.Tests.Tape.TapeFixture.FlipByte(file, 100_000);

        var failed = await rig.WaitAsync(await rig.Client.StartBackupVerifyAsync(row.Id));
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal("digest.mismatch", failed.ErrorCode);
        Assert.Contains($"backup {row.Id} is damaged", failed.ErrorMessage);
        Assert.Contains("65536", failed.ErrorMessage);   // the chunk that differs: 64 KiB .. 128 KiB

        var last = (await rig.Client.ListVerificationsAsync(row.Id))[0];
        Assert.Equal("mismatch", last.Outcome);
        Assert.Equal(good, last.ExpectedRoot);
        Assert.NotNull(last.Root);
        Assert.NotEqual(good, last.Root);
        Assert.Equal(failed.Id, last.JobId);
        Assert.Equal(good, (await rig.Client.GetBackupAsync(row.Id)).Digest);   // the catalog keeps what the data should be

        await Poll.UntilAsync(() => receiver.Accepted.Count >= 1, TimeSpan.FromSeconds(30), "the verify_failed webhook");
        var hook = Assert.Single(receiver.Requests);
        Assert.Equal("verify_failed", hook.Kind);
        Assert.Equal($"backup {row.Id}", hook.Json["subject"]!.GetValue<string>());
        Assert.Equal(Id(row.Id), hook.Detail("backupId"));
        Assert.Equal("mismatch", hook.Detail("outcome"));
        Assert.Equal(failed.Id, hook.Detail("jobId"));
        Assert.Equal(good, hook.Detail("expectedRoot"));

        // The CLI exits 1 with the code.
        var cli = await ServerRig.CliAsync(["backup", "verify", Id(row.Id), "--wait", .. rig.Conn]);
        Assert.Equal(1, cli.Code);
        Assert.Contains("digest.mismatch", cli.Err);

        // /metrics counts verifies by outcome.
        var metrics = await HttpMetricsAsync(rig);
        Assert.Contains("snapcat_server_verifies_total{outcome=\"mismatch\"} 2", metrics);
        Assert.Contains("snapcat_server_backups_never_verified 0", metrics);
    }

    [Fact]
    public async Task A_volume_copys_row_has_the_destinations_digest_equal_to_the_sources_and_verifies_ok()
    {
        await using var rig = await ServerRig.StartAsync();
        var (data, row) = await rig.MirrorBackupAsync(seed: 34);
        string expected = ContentDigest.Compute(data).RootText;
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.StartBackupVerifyAsync(row.Id)));
        Assert.Equal(expected, (await rig.Client.GetBackupAsync(row.Id)).Digest);

        uint spare = (await rig.VolumeNumbersAsync()).Max();
        var done = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyBackupAsync(row.Id, new CopyRequest(Volume: spare))));
        var copy = await rig.Client.GetBackupAsync(done.Result!["copy"]!.GetValue<long>());
        Assert.Equal(expected, copy.Digest);
        Assert.Equal(expected, (await rig.Array.GetDigestAsync(spare))?.Root ?? expected);
        var verified = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.StartBackupVerifyAsync(copy.Id)));
        Assert.Equal("ok", verified.Result!["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_snapshots_first_verify_seals_its_digest_and_the_second_matches()
    {
        await using var rig = await ServerRig.StartAsync();
        await rig.WritePrimaryAsync(BytesOf(33));
        await rig.Client.CreateDefinitionAsync(ServerRig.Snapshot("hourly"));
        await rig.RunAsync("hourly");
        var snap = Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { Kind = "snapshot" }));
        var kept = await rig.Array.GetDigestAsync(Snapcat.Server.Flows.BackupRows.Volume(new Snapcat.Server.Catalog.BackupDataRow
        {
            Host = snap.Host, MountPoint = snap.MountPoint, Kind = snap.Kind, DeviceId = snap.DeviceId, MediaId = snap.MediaId, Label = snap.Label,
            Timestamp = snap.Timestamp, BackupId = snap.BackupId, VolumeInfo = [], Origin = BackupOrigin.Backup,
        }));
        Assert.Equal(kept?.Root, snap.Digest);

        var metricsBefore = await HttpMetricsAsync(rig);
        Assert.Contains("snapcat_server_backups_never_verified 1", metricsBefore);

        var first = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.StartBackupVerifyAsync(snap.Id)));
        Assert.Equal(snap.Digest is null ? "sealed" : "ok", first.Result!["outcome"]!.GetValue<string>());
        var data = new byte[rig.VolumeBytes];
        BytesOf(33).CopyTo(data, 0);
        string expected = ContentDigest.Compute(data).RootText;
        Assert.Equal(expected, (await rig.Client.GetBackupAsync(snap.Id)).Digest);

        var second = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.StartBackupVerifyAsync(snap.Id)));
        Assert.Equal("ok", second.Result!["outcome"]!.GetValue<string>());
        Assert.Contains("snapcat_server_backups_never_verified 0", await HttpMetricsAsync(rig));
    }

    private static byte[] BytesOf(int seed)
    {
        var b = new byte[1 << 20];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static async Task<string> HttpMetricsAsync(ServerRig rig)
    {
        using var http = new HttpClient(rig.ServerNode.CreateHttpHandler()) { BaseAddress = rig.Client.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", rig.ServerToken);
        return await http.GetStringAsync("/metrics");
    }
}
