using System.Globalization;
using Snapcat.Contracts.Server;
using Snapcat.Core.Errors;
using Snapcat.Server.Tests.Fixtures;

namespace Snapcat.Server.Tests.Verify;

/// <summary>Verify plans on the real system: a coverage policy over five snapshot backups, two per run, and its report.</summary>
public sealed class VerifyPlanTests
{
    [Fact]
    public async Task A_plan_with_max_per_run_2_over_5_backups_verifies_2_then_the_next_2_and_reports_the_coverage()
    {
        await using var rig = await ServerRig.StartAsync();
        await rig.Client.CreateDefinitionAsync(ServerRig.Snapshot("hourly", keep: 5));
        for (int i = 0; i < 5; i++) await rig.RunAsync("hourly");
        var backups = (await rig.Client.SearchBackupsAsync(new BackupDataFilter { Kind = "snapshot" })).Select(b => b.Id).Order().ToList();
        Assert.Equal(5, backups.Count);

        // Bad input first: both limits, a bad duration, a bad cron, an unknown kind, an unknown device; nothing is created.
        Assert.Contains("verify_plan.limit", await rig.CliRefusedAsync("verify-plan", "create", "x", "--schedule", "0 3 * * 0", "--max-per-run", "2", "--share", "10%"));
        Assert.Contains("verify_plan.bad_duration", await rig.CliRefusedAsync("verify-plan", "create", "x", "--schedule", "0 3 * * 0", "--older-than", "week"));
        Assert.Contains("verify_plan.bad_share", await rig.CliRefusedAsync("verify-plan", "create", "x", "--schedule", "0 3 * * 0", "--share", "150%"));
        Assert.Contains("verify_plan.invalid", await rig.CliRefusedAsync("verify-plan", "create", "x", "--schedule", "every sunday"));
        Assert.Contains("verify_plan.invalid", await rig.CliRefusedAsync("verify-plan", "create", "x", "--schedule", "0 3 * * 0", "--kind", "weekly"));
        Assert.Contains("verify_plan.unknown_device", await rig.CliRefusedAsync("verify-plan", "create", "x", "--schedule", "0 3 * * 0", "--device", "NO-SUCH"));
        Assert.Empty(await rig.Client.ListVerifyPlansAsync());

        await rig.CliOkAsync("verify-plan", "create", "weekly", "--schedule", "0 3 * * 0", "--older-than", "7d", "--max-per-run", "2", "--kind", "snapshot");
        Assert.Equal("verify_plan.exists", (await Assert.ThrowsAsync<SnapcatException>(() =>
            rig.Client.CreateVerifyPlanAsync(new VerifyPlanDto { Name = "weekly", Schedule = "0 3 * * 0" }))).Code);
        var plan = Assert.Single(await rig.Client.ListVerifyPlansAsync());
        Assert.Equal((2, "snapshot", 7L * 86400), (plan.MaxPerRun!.Value, plan.Kind!, plan.OlderThanSeconds));
        Assert.NotNull(plan.NextRun);
        Assert.Contains("weekly", await rig.CliOkAsync("verify-plan", "list"));
        Assert.Equal("verify_plan.no_report", (await Assert.ThrowsAsync<SnapcatException>(() => rig.Client.GetVerifyPlanReportAsync("weekly"))).Code);

        // Run 1: two never-verified backups, the lowest IDs first; three left.
        await rig.CliOkAsync("verify-plan", "run", "weekly", "--wait");
        var first = await rig.Client.GetVerifyPlanReportAsync("weekly");
        Assert.Equal((5, 5, 2, 2, 0, 0), (first.InScope, first.Due, first.Verified, first.Sealed + first.Ok, first.Mismatch, first.Failed));
        Assert.Equal(backups.Take(2), first.Verifications.Select(v => v.BackupId));
        Assert.Equal(backups.Skip(2), first.Skipped);
        Assert.Equal((2, 40.0), (first.CoveredAfter, first.CoveragePercent));
        Assert.StartsWith("coverage 40 % (2 of 5) verified in the last 7 days", first.Summary);

        // Run 2: the next two; the first two were verified within the window and are not due.
        await rig.CliOkAsync("verify-plan", "run", "weekly", "--wait");
        var second = await rig.Client.GetVerifyPlanReportAsync("weekly");
        Assert.Equal((5, 3, 2), (second.InScope, second.Due, second.Verified));
        Assert.Equal(backups.Skip(2).Take(2), second.Verifications.Select(v => v.BackupId));
        Assert.Equal([backups[4]], second.Skipped);
        Assert.Equal((4, 80.0), (second.CoveredAfter, second.CoveragePercent));
        Assert.NotEqual(first.JobId, second.JobId);

        // The report through the CLI and in the job's log; every verify carries the plan's name in the history.
        string report = await rig.CliOkAsync("verify-plan", "report", "weekly");
        Assert.Contains("coverage 80 % (4 of 5) verified in the last 7 days", report);
        Assert.Contains(backups[4].ToString(CultureInfo.InvariantCulture), report);
        var job = await rig.Client.GetJobAsync(second.JobId!);
        Assert.Contains(job.Log, l => l.Message.Contains("coverage 80 % (4 of 5)", StringComparison.Ordinal));
        foreach (long id in backups.Take(4))
            Assert.Equal("weekly", Assert.Single(await rig.Client.ListVerificationsAsync(id)).Plan);
        Assert.Empty(await rig.Client.ListVerificationsAsync(backups[4]));

        // Deleted: gone from the list, its history stays.
        await rig.CliOkAsync("verify-plan", "delete", "weekly");
        Assert.Empty(await rig.Client.ListVerifyPlansAsync());
        Assert.Contains("verify_plan.not_found", await rig.CliRefusedAsync("verify-plan", "run", "weekly"));
        Assert.Single(await rig.Client.ListVerificationsAsync(backups[0]));
    }
}
