using System.Globalization;
using System.Text.Json;
using Snapcat.Contracts.Server;
using Snapcat.Core.Errors;
using Snapcat.Core.Json;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Retention;

/// <summary>
/// Retention and protection on a real array, agent and server, driven by the real <c>snapcat</c> binary: the dry run
/// lists exactly what the prune then deletes, the pruned snapshot volumes are gone from the array, a protected backup
/// survives prune, delete and a run's own pruning, and read-only credentials are refused. (The calendar rules are
/// the planner's unit tests; backups made within seconds of each other only exercise keep-last end to end.)
/// </summary>
public sealed class PruneEndToEndTests
{
    private static readonly ServerRigOptions WithRoles = ServerRigOptions.Flows with
    {
        ServerCredentials = new Dictionary<string, string> { ["viewer"] = "read-only", ["ops"] = "operator" },
    };

    private static async Task<Tool.Result> Cli(ServerRig f, params string[] args) =>
        await SnapcatBinary.RunAsync([.. args, .. f.ServerArgs], TimeSpan.FromSeconds(120));

    private static async Task<string> CliOk(ServerRig f, params string[] args) =>
        (await Cli(f, args)).EnsureSuccess("snapcat " + string.Join(' ', args)).Stdout;

    private static T Json<T>(string stdout) => JsonSerializer.Deserialize<T>(stdout, SnapcatJson.Web)!;

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>The snapshot volume numbers of the primary on the array.</summary>
    private static async Task<string[]> SnapshotsAsync(ServerRig f) =>
        [.. (await f.Array.ListSnapshotsAsync(f.Primary)).Select(s => s.Number.ToString(CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal)];

    private static async Task<IReadOnlyList<BackupDto>> RowsAsync(ServerRig f) =>
        await f.Client.SearchBackupsAsync(new BackupDataFilter { Definition = "hourly" });

    [Fact]
    public async Task Prune_dry_run_lists_exactly_what_prune_then_deletes_and_the_pruned_snapshot_volumes_are_gone()
    {
        await using var f = await ServerRig.StartAsync();
        // Created with the CLI's retention options; five runs within seconds: keep-last 5 keeps them all.
        await CliOk(f, "definition", "create", "hourly", "--host", ServerRig.Host, "--mount-point", ServerRig.MountPoint, "--kind", "snapshot",
            "--device", f.DeviceId, "--label", "hourly", "--keep-last", "5", "--keep-daily", "2", "--time-zone", "Europe/Berlin");
        var shown = Json<DefinitionDto>(await CliOk(f, "definition", "show", "hourly", "-o", "json"));
        Assert.Equal(new RetentionDto { KeepLast = 5, KeepDaily = 2 }, shown.Retention);
        for (int i = 0; i < 5; i++) await f.RunAsync("hourly");
        var before = await RowsAsync(f);
        Assert.Equal(5, before.Count);
        Assert.Equal(before.Select(r => r.MediaId).Order(StringComparer.Ordinal), await SnapshotsAsync(f));

        // Tighter rules: keep-last 2, and keep-daily 1 adds nothing (today is covered by keep-last already).
        await f.Client.UpdateDefinitionAsync(shown with { Retention = new RetentionDto { KeepLast = 2, KeepDaily = 1 } });

        string text = await CliOk(f, "prune", "hourly", "--dry-run");
        Assert.Contains("retention keep-last 2, keep-daily 1, periods in Europe/Berlin", text);
        Assert.Contains("keep-last 1/2", text);
        Assert.Contains("3 of 5 backup(s) would be deleted (dry run: nothing was)", text);
        var plan = Json<PruneReport>(await CliOk(f, "prune", "hourly", "--dry-run", "-o", "json"));
        Assert.True(plan.DryRun);
        var items = Assert.Single(plan.Definitions).Backups;
        Assert.Equal(before.Select(r => r.Id), items.Select(i => i.Id));   // every backup, newest first
        var wouldGo = items.Where(i => i.Action == "remove").Select(i => i.Id).ToHashSet();
        Assert.Equal(before.Skip(2).Select(r => r.Id).ToHashSet(), wouldGo);
        Assert.Equal(["keep-last 1/2", "keep-last 2/2"], items.Where(i => i.Action == "keep").Select(i => i.Reason));
        // Nothing went yet.
        Assert.Equal(5, (await RowsAsync(f)).Count);
        Assert.Equal(5, (await SnapshotsAsync(f)).Length);

        var done = Json<PruneReport>(await CliOk(f, "prune", "hourly", "-o", "json"));
        Assert.False(done.DryRun);
        var deleted = Assert.Single(done.Definitions).Backups.Where(i => i.Deleted).Select(i => i.Id).ToHashSet();
        Assert.Equal(wouldGo, deleted);
        Assert.All(done.Definitions[0].Backups, i => Assert.Null(i.Error));

        var after = await RowsAsync(f);
        Assert.Equal(before.Take(2).Select(r => r.Id), after.Select(r => r.Id));
        // The pruned backups' snapshot volumes are gone from the array; the kept ones are there.
        var gone = before.Where(r => deleted.Contains(r.Id)).Select(r => r.MediaId).ToArray();
        var onArray = await SnapshotsAsync(f);
        Assert.Empty(onArray.Intersect(gone));
        Assert.Equal(after.Select(r => r.MediaId).Order(StringComparer.Ordinal), onArray);

        // A second dry run finds nothing more to remove.
        var again = await f.Client.PlanPruneAsync("hourly");
        Assert.DoesNotContain(again.Definitions[0].Backups, i => i.Action == "remove");
    }

    [Fact]
    public async Task A_protected_backup_survives_prune_delete_and_a_runs_own_pruning_and_goes_after_unprotect()
    {
        await using var f = await ServerRig.StartAsync();
        var d = ServerRig.Snapshot("hourly", keep: 3);
        await f.Client.CreateDefinitionAsync(d);
        for (int i = 0; i < 3; i++) await f.RunAsync("hourly");
        var rows = await RowsAsync(f);
        long oldest = rows[^1].Id;

        var shown = Json<BackupDto>(await CliOk(f, "backup", "protect", Id(oldest), "-o", "json"));
        Assert.True(shown.Protected);
        Assert.Null(shown.ProtectedUntil);
        Assert.Contains("yes (until unprotected)", await CliOk(f, "backup", "list"));

        // keep-last 1: the newest stays, the middle one goes, the protected one is listed as protected and stays.
        await f.Client.UpdateDefinitionAsync(d with { KeepGenerations = 1 });
        var plan = (await f.Client.PlanPruneAsync("hourly")).Definitions[0].Backups;
        Assert.Equal(["keep", "remove", "protected"], plan.Select(i => i.Action));
        Assert.Equal("protected indefinitely (until unprotected)", plan[2].Reason);
        Assert.Contains("protected indefinitely", await CliOk(f, "prune", "hourly", "--dry-run"));
        var pruned = Json<PruneReport>(await CliOk(f, "prune", "-o", "json")).Definitions.Single(x => x.Definition == "hourly").Backups;
        Assert.Equal([rows[1].Id], pruned.Where(i => i.Deleted).Select(i => i.Id));
        Assert.Equal([rows[0].Id, oldest], (await RowsAsync(f)).Select(r => r.Id));

        // 'backup delete' is refused with the code and until when; through the API as well, before any job starts.
        var refused = await Cli(f, "backup", "delete", Id(oldest), "--wait");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("backup.protected", refused.Stderr + refused.Stdout);
        Assert.Contains($"backup {oldest} (", refused.Stderr);
        Assert.Contains("is protected indefinitely (until unprotected)", refused.Stderr);
        var api = await Assert.ThrowsAsync<SnapcatException>(() => f.Client.DeleteBackupAsync(oldest));
        Assert.Equal((ErrorKind.Conflict, "backup.protected"), (api.Kind, api.Code));

        // A run prunes by the same plan: the previous newest goes, the protected one stays.
        await f.RunAsync("hourly");
        var now = await RowsAsync(f);
        Assert.Equal(2, now.Count);
        Assert.Equal(oldest, now[^1].Id);
        Assert.True((await f.Client.GetBackupAsync(oldest)).Protected);

        // Protected with a date: the error names it; a date in the past is refused.
        var dated = Json<BackupDto>(await CliOk(f, "backup", "protect", Id(oldest), "--until", "2099-01-31T00:00:00Z", "-o", "json"));
        Assert.Equal(DateTimeOffset.Parse("2099-01-31T00:00:00Z", CultureInfo.InvariantCulture), dated.ProtectedUntil);
        Assert.Contains("is protected until 2099-01-31 00:00:00Z", (await Assert.ThrowsAsync<SnapcatException>(() => f.Client.DeleteBackupAsync(oldest))).Message);
        var past = await Cli(f, "backup", "protect", Id(oldest), "--until", "2020-01-01");
        Assert.NotEqual(0, past.ExitCode);
        Assert.Contains("has passed already", past.Stderr);

        // Unprotected, it can be deleted, and its snapshot volume goes.
        Assert.False(Json<BackupDto>(await CliOk(f, "backup", "unprotect", Id(oldest), "-o", "json")).Protected);
        string volume = now[^1].MediaId;
        await CliOk(f, "backup", "delete", Id(oldest), "--wait");
        Assert.Equal([now[0].Id], (await RowsAsync(f)).Select(r => r.Id));
        Assert.DoesNotContain(volume, await SnapshotsAsync(f));
    }

    [Fact]
    public async Task A_mirror_run_a_copy_or_a_forced_restore_does_not_overwrite_a_protected_mirror_backup()
    {
        await using var f = await ServerRig.StartAsync();
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly"));
        await f.RunAsync("nightly");
        var row = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter()));
        await f.Client.ProtectBackupAsync(row.Id);

        var job = await f.WaitAsync(await f.Client.RunDefinitionAsync("nightly"));
        Assert.Equal(Snapcat.Core.Jobs.JobState.Failed, job.State);
        Assert.Equal("backup.protected", job.ErrorCode);
        Assert.Equal(row.Id, Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter())).Id);
        Assert.Equal(row.BackupId, Snapcat.Core.VolumeInformation.VolumeInfoRecord.Decode((await f.Array.GetVolumeInfoAsync(f.Secondary))!).BackupId);

        // Nor does a copy or a forced restore onto that volume overwrite it.
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("weekly", volume: 3));
        await f.RunAsync("weekly");
        var other = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter { Definition = "weekly" }));
        var copy = await f.WaitAsync(await f.Client.CopyBackupAsync(other.Id, new CopyRequest(Volume: f.Secondary)));
        Assert.Equal((Snapcat.Core.Jobs.JobState.Failed, "backup.protected"), (copy.State, copy.ErrorCode));
        var restore = await Assert.ThrowsAsync<SnapcatException>(() => f.Client.RestoreAsync(other.Id, new RestoreRequest(Force: true, DeviceId: f.DeviceId, Volume: f.Secondary)));
        Assert.Equal("backup.protected", restore.Code);
        Assert.Equal(row.BackupId, Snapcat.Core.VolumeInformation.VolumeInfoRecord.Decode((await f.Array.GetVolumeInfoAsync(f.Secondary))!).BackupId);

        // Mirror retention is keep-last 1, implied: the plan keeps it, and other rules are refused by name.
        var plan = (await f.Client.PlanPruneAsync("nightly")).Definitions[0];
        Assert.Equal("keep-last 1", plan.Retention);
        var bad = await Assert.ThrowsAsync<SnapcatException>(() => f.Client.CreateDefinitionAsync(ServerRig.Mirror("weekly", volume: 3) with { Retention = new RetentionDto { KeepWeekly = 4 } }));
        Assert.Contains("keep-weekly 4 makes no sense for it", bad.Message);
    }

    [Fact]
    public async Task A_read_only_token_cannot_prune_or_protect_and_an_operator_can()
    {
        await using var f = await ServerRig.StartAsync(WithRoles);
        await f.Client.CreateDefinitionAsync(ServerRig.Snapshot("hourly", keep: 1));
        await f.RunAsync("hourly");
        var row = Assert.Single(await RowsAsync(f));
        using var viewer = f.ClientAs("viewer");
        using var ops = f.ClientAs("ops");

        foreach (var call in new Func<Task>[] { () => viewer.PlanPruneAsync(), () => viewer.PruneAsync("hourly"), () => viewer.ProtectBackupAsync(row.Id), () => viewer.UnprotectBackupAsync(row.Id) })
        {
            var ex = await Assert.ThrowsAsync<SnapcatException>(call);
            Assert.Equal((ErrorKind.Forbidden, "auth.role"), (ex.Kind, ex.Code));
            Assert.Contains("needs the operator role; the credential 'viewer' has the read-only role", ex.Message);
        }
        var cli = await SnapcatBinary.RunAsync(["prune", "--dry-run", "--server", f.Client.BaseUrl.ToString(), "--token", f.ServerNode.TokenOf("viewer"),
            .. f.ServerNode.Fingerprint is { } fp ? new[] { "--fingerprint", fp } : []], TimeSpan.FromSeconds(120));
        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains("read-only", cli.Stderr);
        Assert.False((await f.Client.GetBackupAsync(row.Id)).Protected);

        Assert.True((await ops.ProtectBackupAsync(row.Id)).Protected);
        Assert.Equal("protected", Assert.Single((await ops.PlanPruneAsync("hourly")).Definitions[0].Backups).Action);
        var job = ServerClient.EnsureSucceeded(await ops.WaitForJobAsync((await ops.PruneAsync("hourly")).Id, timeout: TimeSpan.FromSeconds(60)));
        Assert.DoesNotContain(ops.ResultOf<PruneReport>(job).Definitions[0].Backups, i => i.Deleted);
        Assert.False((await ops.UnprotectBackupAsync(row.Id)).Protected);
    }
}
