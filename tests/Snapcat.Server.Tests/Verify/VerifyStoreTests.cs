using Snapcat.Contracts.Server;
using Snapcat.Core.Errors;
using Snapcat.Server.Verify;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Verify;

/// <summary>The verify history and the verify plans on a real catalog, SQLite and (with SNAPCAT_TEST_POSTGRES) PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class VerifyStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 3, 0, 0, TimeSpan.Zero);

    [Theory]
    [MemberData(nameof(PostgresCollection.Backends), MemberType = typeof(PostgresCollection))]
    public async Task History_and_plans_round_trip(string backend)
    {
        using var dir = new TempDir("verify-store");
        await using var db = await PostgresCollection.OpenCatalogAsync(backend, dir.Combine("catalog.db"));
        var history = new VerifyHistoryStore(db);
        var recorded = new List<VerifyRun>();
        history.Recorded += recorded.Add;

        string a = "sha256:" + new string('a', 64);
        await history.RecordAsync(new VerifyRun(7, T0, T0.AddSeconds(2), "sealed", a, null, 4096, 1.5, "j1", null));
        await history.RecordAsync(new VerifyRun(7, T0.AddDays(1), T0.AddDays(1).AddSeconds(1), "failed", null, a, 0, 0.2, "j2", "array.unreachable: down", "weekly"));
        await history.RecordAsync(new VerifyRun(8, T0, T0.AddSeconds(1), "mismatch", a, a, 10, 0.1, "j3", "digest.mismatch: x"));
        Assert.Equal(3, recorded.Count);
        await Assert.ThrowsAsync<ArgumentException>(() => history.RecordAsync(new VerifyRun(7, T0, T0, "maybe", null, null, 0, 0, null, null)));

        var runs = await history.ListAsync(7);
        Assert.Equal(["failed", "sealed"], runs.Select(r => r.Outcome));
        Assert.Equal(new VerifyRun(7, T0, T0.AddSeconds(2), "sealed", a, null, 4096, 1.5, "j1", null), runs[1]);
        Assert.Equal("weekly", runs[0].Plan);

        var states = await history.StatesAsync();
        Assert.Equal((T0.AddSeconds(2), T0.AddSeconds(2)), (states[7].Checked, states[7].Good));   // the failed verify is no verdict
        Assert.Equal(T0.AddSeconds(1), states[8].Checked);
        Assert.Null(states[8].Good);
        Assert.Equal(0, await history.CountNeverVerifiedAsync());   // no backup rows at all

        var plans = new VerifyPlanStore(db);
        var plan = new VerifyPlan { Name = "weekly", Schedule = "0 3 * * 0", OlderThan = TimeSpan.FromDays(7), SharePercent = 12.5, Kind = "tape", Created = T0 };
        await plans.CreateAsync(plan);
        Assert.Equal("verify_plan.exists", (await Assert.ThrowsAsync<SnapcatException>(() => plans.CreateAsync(plan))).Code);
        Assert.Equal(plan, await plans.GetAsync("weekly"));
        await plans.SetLastFireAsync("weekly", T0.AddDays(7));
        Assert.Equal(T0.AddDays(7), (await plans.GetAsync("weekly")).LastFire);
        Assert.Equal("verify_plan.no_report", (await Assert.ThrowsAsync<SnapcatException>(() => plans.GetReportAsync("weekly"))).Code);
        var report = new VerifyPlanReport("weekly", "j9", T0, T0.AddMinutes(1), 604800, 5, 5, 2, 1, 1, 0, 0, 2, 40, [new VerifyPlanItem(7, "ok", a, null)], [8, 9, 10], "coverage 40 %");
        await plans.SetReportAsync("weekly", report);
        var back = await plans.GetReportAsync("weekly");
        Assert.Equal(report.Summary, back.Summary);
        Assert.Equal(report.Skipped, back.Skipped);
        Assert.Equal(report.Verifications, back.Verifications);
        await plans.DeleteAsync("weekly");
        Assert.Equal("verify_plan.not_found", (await Assert.ThrowsAsync<SnapcatException>(() => plans.DeleteAsync("weekly"))).Code);
    }
}
