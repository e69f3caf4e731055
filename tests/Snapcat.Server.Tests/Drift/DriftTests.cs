using System.Net.Http.Headers;
using Snapcat.Contracts.Server;
using Snapcat.Core.VolumeInformation;
using Snapcat.Server.Config;
using Snapcat.Server.Notifications;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.Server.Tests.Notifications;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Drift;

/// <summary>
/// Drift detection (docs/drift.md) on a real array, agent and server: every kind of finding is made for real behind the
/// catalog's back, found by 'snapcat drift check', notified once, and its fix makes the next check clean.
/// </summary>
public sealed class DriftTests
{
    /// <summary>The rig's server again, with a webhook receiving drift_found (and nothing else).</summary>
    private static async Task<WebhookReceiver> WithWebhookAsync(ServerRig rig, string? schedule = null)
    {
        var receiver = await WebhookReceiver.StartAsync();
        var before = rig.ServerNode.Edit;
        rig.ServerNode.Edit = c => (before?.Invoke(c) ?? c) with
        {
            Notifications = new NotificationsConfig { Webhooks = [new WebhookConfig { Url = receiver.Url.ToString(), Events = [NotificationKind.DriftFound] }] },
            Drift = schedule is null ? null : new Snapcat.Server.Drift.DriftConfig { Schedule = schedule },
        };
        await rig.StopServerAsync();
        await rig.StartServerAsync();
        return receiver;
    }

    private static async Task<IReadOnlyList<DriftFindingDto>> CheckAsync(ServerRig rig)
    {
        string output = await rig.CliOkAsync("drift", "check");
        var findings = await rig.Client.ListDriftFindingsAsync();
        Assert.Contains($"{findings.Count} finding(s)", output);
        foreach (var f in findings) Assert.Contains(f.Fix, output);
        return findings;
    }

    private static byte[] Record(string label, Guid backupId, ulong number = 0) => new VolumeInfoRecord
    {
        Label = label, Host = ServerRig.Host, MountPoint = ServerRig.MountPoint, Timestamp = VolumeInfoRecord.TruncateToMicros(DateTimeOffset.UtcNow),
        Kind = BackupKind.Mirror, SourceDeviceId = "ARRAY-S1", SourceVolume = 1, BackupId = backupId, CatalogNumber = number,
    }.Encode();

    private static async Task<PrometheusText> ScrapeAsync(ServerRig rig)
    {
        using var http = new HttpClient(rig.ServerNode.CreateHandler()) { BaseAddress = rig.Client.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", rig.ServerToken);
        return PrometheusText.Parse(await http.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task Gone_volume_bare_record_changed_record_and_orphan_snapshot_are_found_notified_once_and_fixed_until_clean()
    {
        await using var rig = await ServerRig.StartAsync();
        await rig.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly", volume: 2));
        await rig.Client.CreateDefinitionAsync(ServerRig.Mirror("weekly", volume: 3, label: "weekly"));
        await rig.RunAsync("nightly");
        await rig.RunAsync("weekly");
        await using var receiver = await WithWebhookAsync(rig);
        Assert.Empty(await CheckAsync(rig));
        Assert.Contains("Drift: none at the last check", await rig.CliOkAsync("status"));

        var nightly = Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { Label = "nightly" }));
        var weekly = Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { Label = "weekly" }));
        // (a) volume 2 deleted through the array's API; (b) a record on the bare spare 4; (c) volume 3's record relabelled;
        // (d) a snapshot of the primary without volume information.
        await rig.Array.DeleteVolumeAsync(2, force: true);
        var stray = Guid.NewGuid();
        await rig.Array.PutVolumeInfoAsync(4, Record("stray", stray));
        var changed = VolumeInfoRecord.Decode((await rig.Array.GetVolumeInfoAsync(3))!) with { Label = "relabelled" };
        await rig.Array.PutVolumeInfoAsync(3, changed.Encode());
        var orphan = await rig.Array.CreateSnapshotAsync(rig.Primary);

        var found = await CheckAsync(rig);
        Assert.Equal([DriftKinds.OrphanSnapshot, DriftKinds.RecordChanged, DriftKinds.RecordNotInCatalog, DriftKinds.VolumeGone], found.Select(f => f.Kind).Order());
        var gone = Assert.Single(found, f => f.Kind == DriftKinds.VolumeGone);
        Assert.Equal(("ARRAY-S1/2", nightly.Id), (gone.Target, gone.BackupId));
        Assert.Contains("has no volume 2", gone.Storage);
        var bare = Assert.Single(found, f => f.Kind == DriftKinds.RecordNotInCatalog);
        Assert.Contains(stray.ToString(), bare.Storage);
        var relabel = Assert.Single(found, f => f.Kind == DriftKinds.RecordChanged);
        Assert.Contains("label 'weekly'", relabel.Catalog);
        Assert.Contains("label 'relabelled'", relabel.Storage);
        Assert.Equal($"ARRAY-S1/{orphan.Number}", Assert.Single(found, f => f.Kind == DriftKinds.OrphanSnapshot).Target);
        Assert.All(found, f => Assert.StartsWith($"snapcat drift fix {f.Id}", f.Fix));

        // One notification for the four new findings; a second check finds the same IDs (first seen kept) and sends none.
        await Poll.UntilAsync(() => receiver.Accepted.Count >= 1, TimeSpan.FromSeconds(30), "a drift_found event");
        var sent = Assert.Single(receiver.Accepted);
        Assert.Equal("drift_found", sent.Kind);
        Assert.Contains("4 new drift finding(s)", sent.Detail("message"));
        var again = await CheckAsync(rig);
        Assert.Equal(found.Select(f => (f.Id, f.FirstSeen)).Order(), again.Select(f => (f.Id, f.FirstSeen)).Order());
        Assert.Equal(1, rig.Server!.Notifier.Queued);
        Assert.Contains("Drift: 4 finding(s)", await rig.CliOkAsync("status"));
        var metrics = await ScrapeAsync(rig);
        Assert.Equal(1, metrics.Value("snapcat_server_drift_findings", "kind=volume_gone"));
        Assert.Equal(0, metrics.Value("snapcat_server_drift_findings", "kind=cartridge_damaged"));

        foreach (var f in found) Assert.Contains(": fixed:", await rig.CliOkAsync("drift", "fix", f.Id));

        Assert.Empty(await CheckAsync(rig));
        Assert.Empty(await rig.Client.SearchBackupsAsync(new BackupDataFilter { Label = "nightly" }));
        var added = Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { Label = "stray" }));
        Assert.Equal(("4", stray), (added.MediaId, added.BackupId));
        var taken = Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { Label = "relabelled" }));
        Assert.Equal((weekly.Id, weekly.BackupId), (taken.Id, taken.BackupId));
        Assert.DoesNotContain((await rig.Array.ListVolumesAsync()), v => v.Number == orphan.Number);
        // Each fix is audited like every mutating call, with the finding as its target.
        var audit = await rig.Client.GetAuditAsync();
        foreach (var f in found) Assert.Contains(audit, a => a.Route == "/v1/drift/findings/{id}/fix" && a.Target == f.Id && a.Outcome == "ok");
        Assert.Equal(0, (await ScrapeAsync(rig)).Value("snapcat_server_drift_findings", "kind=volume_gone"));
    }

    [Fact]
    public async Task A_stale_finding_is_not_acted_on_a_protected_row_needs_force_and_keep_catalog_writes_the_catalogs_record_back()
    {
        await using var rig = await ServerRig.StartAsync();
        await rig.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly", volume: 2));
        await rig.Client.CreateDefinitionAsync(ServerRig.Mirror("weekly", volume: 3, label: "weekly"));
        await rig.RunAsync("nightly");
        await rig.RunAsync("weekly");
        var nightly = Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { Label = "nightly" }));
        await rig.Client.ProtectBackupAsync(nightly.Id);
        await rig.Array.DeleteVolumeAsync(2, force: true);
        await rig.Array.PutVolumeInfoAsync(4, Record("stray", Guid.NewGuid()));
        byte[] catalogRecord = (await rig.Array.GetVolumeInfoAsync(3))!;
        await rig.Array.PutVolumeInfoAsync(3, (VolumeInfoRecord.Decode(catalogRecord) with { Label = "relabelled" }).Encode());
        var found = await CheckAsync(rig);
        Assert.Equal(3, found.Count);

        // Stale: the record went away after the check; the fix re-checks and does nothing.
        var bare = Assert.Single(found, f => f.Kind == DriftKinds.RecordNotInCatalog);
        await rig.Array.DeleteVolumeInfoAsync(4);
        string err = await rig.CliRefusedAsync("drift", "fix", bare.Id);
        Assert.Contains("drift.stale", err);
        Assert.Empty(await rig.Client.SearchBackupsAsync(new BackupDataFilter { Label = "stray" }));
        // Stale by content: the relabelled record changed again after the check, so the fix of what was found is refused.
        var relabel = Assert.Single(found, f => f.Kind == DriftKinds.RecordChanged);
        await rig.Array.PutVolumeInfoAsync(3, (VolumeInfoRecord.Decode(catalogRecord) with { Label = "again" }).Encode());
        Assert.Contains("changed since the check", await rig.CliRefusedAsync("drift", "fix", relabel.Id));
        Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { Label = "weekly" }));

        // A protected backup's row is dropped only with --force.
        var gone = Assert.Single(found, f => f.Kind == DriftKinds.VolumeGone);
        Assert.Contains("--force", gone.Fix);
        Assert.Contains("drift.protected", await rig.CliRefusedAsync("drift", "fix", gone.Id));
        Assert.Equal(nightly.Id, (await rig.Client.GetBackupAsync(nightly.Id)).Id);
        Assert.Contains(": fixed:", await rig.CliOkAsync("drift", "fix", gone.Id, "--force"));
        var missing = await Assert.ThrowsAsync<Snapcat.Core.Errors.SnapcatException>(() => rig.Client.GetBackupAsync(nightly.Id));
        Assert.Equal("backup.not_found", missing.Code);

        // --all --kind with --keep-catalog: the catalog's record goes back to the array.
        var now = await CheckAsync(rig);
        Assert.Equal([DriftKinds.RecordChanged], now.Select(f => f.Kind));
        string all = await rig.CliOkAsync("drift", "fix", "--all", "--kind", DriftKinds.RecordChanged, "--keep-catalog");
        Assert.Contains("1 of 1 finding(s) of kind record_changed fixed", all);
        Assert.Equal(catalogRecord, await rig.Array.GetVolumeInfoAsync(3));
        Assert.Empty(await CheckAsync(rig));

        // Bad input: an unknown ID and an unknown kind are clear errors.
        Assert.Contains("drift.not_found", await rig.CliRefusedAsync("drift", "fix", "D-0000000000"));
        Assert.Contains("drift.kind_unknown", await rig.CliRefusedAsync("drift", "fix", "--all", "--kind", "nonsense"));
    }

    [Fact]
    public async Task A_digest_that_differs_from_the_arrays_is_found_and_its_verify_fix_takes_the_verified_digest()
    {
        await using var rig = await ServerRig.StartAsync();
        await rig.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly", volume: 2));
        await rig.RunAsync("nightly");
        var row = Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter()));
        // The array seals the volume's digest by a verify; the catalog row is given another digest.
        var sealing = await rig.Array.WaitForJobAsync((await rig.Array.StartVerifyAsync(2)).Id);
        var sealedRoot = rig.Array.ResultOf<Snapcat.Contracts.Array.VolumeVerifyResult>(Snapcat.Contracts.Array.ArrayClient.EnsureSucceeded(sealing)).Root;
        await using var receiver = await WithWebhookAsync(rig);
        string flipped = "sha256:" + new string('0', 64);
        Assert.True(await rig.Server!.Runtime.Data.SetDigestAsync(row.Id, flipped));

        var f = Assert.Single(await CheckAsync(rig));
        Assert.Equal((DriftKinds.DigestDiffers, row.Id), (f.Kind, f.BackupId));
        Assert.Contains(flipped, f.Catalog);
        Assert.Contains(sealedRoot, f.Storage);
        await Poll.UntilAsync(() => receiver.Accepted.Count >= 1, TimeSpan.FromSeconds(30), "a drift_found event");
        Assert.Contains(DriftKinds.DigestDiffers, Assert.Single(receiver.Accepted).Detail("message"));

        string fixedSays = await rig.CliOkAsync("drift", "fix", f.Id);
        Assert.Contains("matches the array's digest", fixedSays);
        // With or without the server's disk verify route, the answer says where a verify's history is kept.
        Assert.Contains("verification history", fixedSays);
        Assert.Equal(sealedRoot, (await rig.Server.Runtime.Data.GetAsync(row.Id))!.Digest);
        Assert.Empty(await CheckAsync(rig));
    }

    [Fact]
    public async Task A_damaged_cartridge_is_found_and_its_fix_copies_again_what_has_a_disk_copy()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape());
        var (_, disk) = await rig.MirrorBackupAsync(seed: 41);
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest())));
        var onTape = Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = ServerRig.TapeLibraryId }));
        await using var receiver = await WithWebhookAsync(rig);
        Assert.Empty(await CheckAsync(rig));

        // The cartridge's VOL1 label is no longer one.
        string serial = onTape.MediaId.Split('/')[0];
        string image = rig.Library.PathOf(serial);
        byte[] bytes = await File.ReadAllBytesAsync(image);
        bytes[bytes.AsSpan().IndexOf("VOL1"u8)] = (byte)'X';
        await File.WriteAllBytesAsync(image, bytes);

        var f = Assert.Single(await CheckAsync(rig));
        Assert.Equal((DriftKinds.CartridgeDamaged, $"{ServerRig.TapeLibraryId}/{serial}"), (f.Kind, f.Target));
        Assert.Contains($"{onTape.Id} ({onTape.MediaId}", f.Catalog);
        await Poll.UntilAsync(() => receiver.Accepted.Count(r => r.Kind == "drift_found") >= 1, TimeSpan.FromSeconds(30), "a drift_found event");

        var result = await rig.Client.FixDriftAsync(f.Id, new DriftFixRequest());
        Assert.Equal("started", result.Outcome);
        Assert.Empty(result.Lost!);
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.GetJobAsync(Assert.Single(result.Jobs!))));
        var copies = await rig.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = ServerRig.TapeLibraryId });
        var copy = Assert.Single(copies);
        Assert.Equal(disk.BackupId, copy.BackupId);
        Assert.False(copy.MediaId.StartsWith(serial + "/", StringComparison.Ordinal), $"the copy went to the damaged cartridge: {copy.MediaId}");
        Assert.Empty(await CheckAsync(rig));
    }

    [Fact]
    public async Task The_drift_block_schedules_the_reconcile_and_a_bad_schedule_or_unknown_key_is_a_config_error()
    {
        await using var rig = await ServerRig.StartAsync();
        await rig.Array.PutVolumeInfoAsync(4, Record("stray", Guid.NewGuid()));
        await using var receiver = await WithWebhookAsync(rig, schedule: "* * * * * *");
        // Every second: the scheduled reconcile finds the record without row and sends one drift_found for it.
        await Poll.UntilAsync(() => receiver.Accepted.Count >= 1, TimeSpan.FromSeconds(30), "a scheduled drift_found event");
        await Poll.UntilAsync(async () => (await rig.Client.ListJobsAsync(50)).Count(j => j.Kind == "drift" && j.Description.Contains("(scheduled)")) >= 2,
            TimeSpan.FromSeconds(30), "a second scheduled reconcile");
        Assert.Single(receiver.Accepted);
        Assert.Equal(DriftKinds.RecordNotInCatalog, Assert.Single(await rig.Client.ListDriftFindingsAsync()).Kind);

        var problems = new List<string>();
        Snapcat.Server.Drift.DriftSettings.Read(new Snapcat.Server.Drift.DriftConfig { Schedule = "every day" }, problems);
        Assert.Contains(problems, p => p.StartsWith("drift.schedule 'every day' is not a valid cron expression", StringComparison.Ordinal));
        Assert.Equal("0 4 * * *", Snapcat.Server.Drift.DriftSettings.Read(null, problems).Schedule);
        string path = rig.Dir.Combine("bad-server.json");
        await File.WriteAllTextAsync(path, """{ "control": { "listen": "127.0.0.1:0", "token": "t", "insecure": true }, "drift": { "shedule": "0 4 * * *" } }""");
        var bad = Assert.Throws<Snapcat.Core.Errors.SnapcatException>(() => ServerConfigLoader.Load(path));
        Assert.True(bad.Code == "config.unknown_key" && bad.Message.Contains("unknown key 'shedule'", StringComparison.Ordinal), $"{bad.Code}: {bad.Message}");
    }
}
