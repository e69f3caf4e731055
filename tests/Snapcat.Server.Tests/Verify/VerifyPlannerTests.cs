using Snapcat.Contracts.Array;
using Snapcat.Contracts.Server;
using Snapcat.Server.Catalog;
using Snapcat.Server.Flows;
using Snapcat.Server.Verify;

namespace Snapcat.Server.Tests.Verify;

/// <summary>The coverage policy of verify plans and the verdict of an array-side verify, as pure functions.</summary>
public sealed class VerifyPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 8, 3, 0, 0, TimeSpan.Zero);

    private static VerifyPlan Plan(int? max = null, double? share = null, string? kind = null, string? device = null, int days = 7) => new()
    {
        Name = "p", Schedule = "0 3 * * *", OlderThan = TimeSpan.FromDays(days), MaxPerRun = max, SharePercent = share, Kind = kind, DeviceId = device,
    };

    private static VerifyCandidate C(long id, double? checkedDaysAgo = null, string cls = "mirror", string device = "A1") =>
        new(id, cls, device, checkedDaysAgo is { } d ? Now.AddDays(-d) : null, checkedDaysAgo is { } g ? Now.AddDays(-g) : null);

    [Fact]
    public void Never_verified_come_first_then_the_longest_ago_and_the_limit_leaves_the_rest_skipped()
    {
        var all = new[] { C(1, 10), C(2), C(3, 1), C(4, 30), C(5), C(6, 7) };
        var s = VerifyPlanner.Select(all, Plan(max: 3), Now);
        Assert.Equal(6, s.InScope.Count);
        Assert.Equal([2L, 5, 4, 1, 6], s.Due.Select(c => c.BackupId));     // 3 was verified a day ago; 6 exactly 7 days ago is due
        Assert.Equal([2L, 5, 4], s.Picked.Select(c => c.BackupId));
        Assert.Equal([1L, 6], s.Skipped.Select(c => c.BackupId));
        Assert.Equal(3, s.Limit);
    }

    [Fact]
    public void Share_rounds_up_to_at_least_one_and_no_limit_takes_every_due_backup()
    {
        var all = Enumerable.Range(1, 50).Select(i => C(i)).ToList();
        Assert.Equal(5, VerifyPlanner.Select(all, Plan(share: 10), Now).Picked.Count);
        Assert.Equal(6, VerifyPlanner.Select(all, Plan(share: 11), Now).Picked.Count);     // 5.5 → 6
        Assert.Single(VerifyPlanner.Select(all.Take(3), Plan(share: 1), Now).Picked);        // 0.03 → 1
        Assert.Equal(50, VerifyPlanner.Select(all, Plan(), Now).Picked.Count);
        Assert.Empty(VerifyPlanner.Select([], Plan(share: 50), Now).Picked);
    }

    [Fact]
    public void Kind_and_device_narrow_the_scope()
    {
        var all = new[] { C(1, cls: "mirror"), C(2, cls: "snapshot"), C(3, cls: "tape", device: "TAPE1"), C(4, cls: "copy", device: "A2"), C(5, cls: "snapshot", device: "A2") };
        Assert.Equal([2L, 5], VerifyPlanner.Select(all, Plan(kind: "snapshot"), Now).InScope.Select(c => c.BackupId));
        Assert.Equal([4L, 5], VerifyPlanner.Select(all, Plan(device: "A2"), Now).InScope.Select(c => c.BackupId));
        Assert.Equal([5L], VerifyPlanner.Select(all, Plan(kind: "snapshot", device: "A2"), Now).InScope.Select(c => c.BackupId));
    }

    [Fact]
    public void Coverage_counts_good_verifies_within_the_window_only()
    {
        var lastGood = new Dictionary<long, DateTimeOffset?> { [1] = Now.AddDays(-1), [2] = Now.AddDays(-8), [3] = null, [9] = Now };
        Assert.Equal(1, VerifyPlanner.Covered([1, 2, 3, 4], lastGood, TimeSpan.FromDays(7), Now));
        Assert.Equal(2, VerifyPlanner.Covered([1, 2, 3, 4], lastGood, TimeSpan.FromDays(10), Now));
        Assert.Equal(62.0, VerifyPlanner.Percent(31, 50));
        Assert.Equal(100.0, VerifyPlanner.Percent(0, 0));
    }

    [Fact]
    public void The_class_of_a_row_says_tape_for_the_library_and_copy_for_a_volume_copy()
    {
        var row = new BackupDataRow
        {
            Host = "h", MountPoint = "/m", Kind = "mirror", DeviceId = "A1", MediaId = "2", Label = "l", Timestamp = Now, BackupId = Guid.NewGuid(),
            VolumeInfo = [], Origin = BackupOrigin.Backup,
        };
        Assert.Equal("mirror", VerifyPlanner.ClassOf(row, "TAPE1"));
        Assert.Equal("copy", VerifyPlanner.ClassOf(row with { Origin = BackupOrigin.Copy }, "TAPE1"));
        Assert.Equal("tape", VerifyPlanner.ClassOf(row with { Origin = BackupOrigin.Copy, DeviceId = "TAPE1" }, "TAPE1"));
        Assert.Equal("snapshot", VerifyPlanner.ClassOf(row with { Kind = "snapshot" }, null));
    }

    [Fact]
    public void A_bad_plan_lists_every_problem()
    {
        var bad = Plan(max: 0, share: 200, kind: "weekly") with { Name = "-x", Schedule = "nope", TimeZone = "Mars/Olympus", OlderThan = TimeSpan.Zero };
        var e = Assert.Throws<Snapcat.Core.Errors.SnapcatException>(() => bad.Validate());
        Assert.Equal("verify_plan.invalid", e.Code);
        foreach (string part in new[] { "name '-x'", "schedule 'nope'", "Mars/Olympus", "older-than", "max-per-run", "share", "not both", "kind 'weekly'" })
            Assert.Contains(part, e.Message);
        var often = Plan() with { Schedule = "* * * * * *" };
        Assert.Contains("at most one run per 60 s", Assert.Throws<Snapcat.Core.Errors.SnapcatException>(() => often.Validate(TimeSpan.FromMinutes(1))).Message);
        Plan(max: 2).Validate(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void The_verdict_of_an_array_verify_against_the_catalogs_digest()
    {
        string a = "sha256:" + new string('a', 64), b = "sha256:" + new string('b', 64);
        VolumeVerifyResult Sealed(string root) => new(2, root, null, true, true, 100, 0.1, []);
        VolumeVerifyResult Compared(string root, string expected) => new(2, root, expected, root == expected, false, 100, 0.1, root == expected ? [] : [65536]);

        Assert.Equal(("sealed", (string?)null), Verdict(VerifyDiskBackupHandler.Judge(null, Sealed(a))));
        Assert.Equal(("ok", (string?)a), Verdict(VerifyDiskBackupHandler.Judge(a, Sealed(a))));
        Assert.Equal(("mismatch", (string?)b), Verdict(VerifyDiskBackupHandler.Judge(b, Sealed(a))));
        Assert.Equal(("ok", (string?)a), Verdict(VerifyDiskBackupHandler.Judge(null, Compared(a, a))));
        Assert.Equal(("ok", (string?)a), Verdict(VerifyDiskBackupHandler.Judge(a, Compared(a, a))));
        Assert.Equal(("mismatch", (string?)b), Verdict(VerifyDiskBackupHandler.Judge(b, Compared(a, a))));   // the array agrees with itself, not with the catalog
        var m = VerifyDiskBackupHandler.Judge(a, Compared(b, a));
        Assert.Equal(("mismatch", (string?)a), Verdict(m));
        Assert.StartsWith("digest.mismatch: ", m.Error);
        Assert.Contains("65536", m.Error);
    }

    private static (string, string?) Verdict((string Outcome, string? Expected, string? Error) j) => (j.Outcome, j.Expected);
}
