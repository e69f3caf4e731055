using Snapcat.Server.Retention;

namespace Snapcat.Server.Tests.Retention;

/// <summary>
/// The prune plan against Proxmox Backup Server's prune semantics: rules in order, each keeping the newest backup of
/// each of its last N periods not already covered by an earlier rule, periods by the wall clock of the definition's
/// zone (Europe/Berlin here: DST changes on 2026-03-29 and 2026-10-25), ISO weeks, protection.
/// </summary>
public sealed class PrunePlannerTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static PruneCandidate B(long id, string utc, bool isProtected = false) => new(id, DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), isProtected);

    /// <summary>The plan as "id:mark:reason" lines, newest first.</summary>
    private static string[] Plan(RetentionPolicy policy, params PruneCandidate[] backups) =>
        PrunePlanner.Plan(backups, policy, Berlin).Select(d => $"{d.Backup.Id}:{d.Mark}:{d.Reason}").ToArray();

    [Fact]
    public void Keep_last_keeps_the_newest_N_backups_and_removes_the_rest()
    {
        var plan = Plan(new RetentionPolicy { KeepLast = 3 },
            B(1, "2026-12-01T02:00:00Z"), B(2, "2026-12-02T02:00:00Z"), B(3, "2026-12-03T02:00:00Z"), B(4, "2026-12-04T02:00:00Z"), B(5, "2026-12-05T02:00:00Z"));
        Assert.Equal(["5:Keep:keep-last 1/3", "4:Keep:keep-last 2/3", "3:Keep:keep-last 3/3", "2:Remove:", "1:Remove:"], plan);
    }

    [Fact]
    public void Keep_daily_keeps_the_newest_backup_of_each_day_and_removes_the_others_of_that_day()
    {
        var plan = Plan(new RetentionPolicy { KeepDaily = 2 },
            B(1, "2026-12-03T10:00:00Z"),
            B(2, "2026-12-04T08:00:00Z"), B(3, "2026-12-04T12:00:00Z"),
            B(4, "2026-12-05T08:00:00Z"), B(5, "2026-12-05T12:00:00Z"));
        Assert.Equal(["5:Keep:keep-daily 2026-12-05", "4:Remove:", "3:Keep:keep-daily 2026-12-04", "2:Remove:", "1:Remove:"], plan);
    }

    [Fact]
    public void A_later_rule_skips_periods_an_earlier_rule_already_keeps_a_backup_of()
    {
        // keep-last 1 keeps today's newest; keep-daily 2 then covers the two days before today (PBS: "will only consider older backups").
        var plan = Plan(new RetentionPolicy { KeepLast = 1, KeepDaily = 2 },
            B(1, "2026-12-02T12:00:00Z"), B(2, "2026-12-03T12:00:00Z"), B(3, "2026-12-04T12:00:00Z"),
            B(4, "2026-12-05T08:00:00Z"), B(5, "2026-12-05T12:00:00Z"));
        Assert.Equal(["5:Keep:keep-last 1/1", "4:Remove:", "3:Keep:keep-daily 2026-12-04", "2:Keep:keep-daily 2026-12-03", "1:Remove:"], plan);
    }

    [Fact]
    public void Daily_weekly_and_monthly_rules_chain_over_two_months_of_daily_backups()
    {
        // One backup a day at 02:00 Berlin from 2026-10-01 to Sunday 2026-11-29 (60 backups).
        var backups = Enumerable.Range(0, 60).Select(i =>
        {
            var local = new DateTime(2026, 10, 1, 2, 0, 0).AddDays(i);
            return new PruneCandidate(i + 1, new DateTimeOffset(local, Berlin.GetUtcOffset(local)), false);
        }).ToArray();
        Assert.Equal(new DateTime(2026, 11, 29), TimeZoneInfo.ConvertTime(backups[^1].Timestamp, Berlin).Date);

        var kept = PrunePlanner.Plan(backups, new RetentionPolicy { KeepDaily = 7, KeepWeekly = 4, KeepMonthly = 2 }, Berlin)
            .Where(d => d.Mark == PruneMark.Keep).Select(d => d.Reason!).ToArray();
        // Daily: Monday 23rd to Sunday 29th, i.e. all of week 48. Weekly: the Sundays of weeks 47 to 44. Monthly: November is
        // covered by those, so October's newest (the 31st) and then there is no older month.
        Assert.Equal(
        [
            "keep-daily 2026-11-29", "keep-daily 2026-11-28", "keep-daily 2026-11-27", "keep-daily 2026-11-26", "keep-daily 2026-11-25",
            "keep-daily 2026-11-24", "keep-daily 2026-11-23",
            "keep-weekly 2026-W47", "keep-weekly 2026-W46", "keep-weekly 2026-W45", "keep-weekly 2026-W44",
            "keep-monthly 2026-10",
        ], kept);
    }

    [Fact]
    public void Days_are_days_of_the_definition_zone_across_the_23_hour_spring_DST_day()
    {
        // 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST. 22:30Z on the 28th is 23:30 on the 28th in Berlin;
        // 23:30Z on the 28th is already 00:30 on the 29th; 21:30Z on the 29th is 23:30 CEST, the same Berlin day.
        var plan = Plan(new RetentionPolicy { KeepDaily = 2 },
            B(1, "2026-03-28T22:30:00Z"), B(2, "2026-03-28T23:30:00Z"), B(3, "2026-03-29T21:30:00Z"));
        Assert.Equal(["3:Keep:keep-daily 2026-03-29", "2:Remove:", "1:Keep:keep-daily 2026-03-28"], plan);
    }

    [Fact]
    public void The_25_hour_autumn_DST_day_is_one_day_and_its_repeated_local_hour_is_one_hour_period()
    {
        // 2026-10-25 in Berlin: 03:00 CEST goes back to 02:00 CET, so 02:30 local happens at 00:30Z and again at 01:30Z.
        // PBS names hours by the local wall clock, so both are the hour "02:00": only the newer is kept.
        var plan = Plan(new RetentionPolicy { KeepHourly = 3 },
            B(1, "2026-10-24T23:30:00Z"), B(2, "2026-10-25T00:30:00Z"), B(3, "2026-10-25T01:30:00Z"), B(4, "2026-10-25T02:30:00Z"));
        Assert.Equal(["4:Keep:keep-hourly 2026-10-25 03:00", "3:Keep:keep-hourly 2026-10-25 02:00", "2:Remove:", "1:Keep:keep-hourly 2026-10-25 01:00"], plan);

        // And the whole 25-hour day is one day: 22:30Z on the 24th is 00:30 on the 25th, 22:30Z on the 25th is 23:30 CET the same day.
        var daily = Plan(new RetentionPolicy { KeepDaily = 1 }, B(5, "2026-10-24T22:30:00Z"), B(6, "2026-10-25T22:30:00Z"));
        Assert.Equal(["6:Keep:keep-daily 2026-10-25", "5:Remove:"], daily);
    }

    [Fact]
    public void Weeks_are_ISO_weeks_Monday_to_Sunday_in_the_zone()
    {
        // Sunday 2026-12-06 23:30 Berlin (22:30Z) and Monday 2026-12-07 00:30 Berlin (23:30Z, still Sunday in UTC) are two weeks.
        var plan = Plan(new RetentionPolicy { KeepWeekly = 2 },
            B(1, "2026-11-30T10:00:00Z"), B(2, "2026-12-06T22:30:00Z"), B(3, "2026-12-06T23:30:00Z"));
        Assert.Equal(["3:Keep:keep-weekly 2026-W50", "2:Keep:keep-weekly 2026-W49", "1:Remove:"], plan);
    }

    [Fact]
    public void The_first_days_of_January_can_belong_to_the_last_ISO_week_of_the_year_before()
    {
        // 2026 has 53 ISO weeks: Monday 2026-12-28 to Sunday 2027-01-03 is 2026-W53; Monday 2027-01-04 starts 2027-W01.
        var plan = Plan(new RetentionPolicy { KeepWeekly = 2 },
            B(1, "2026-12-21T10:00:00Z"), B(2, "2026-12-28T10:00:00Z"), B(3, "2027-01-01T10:00:00Z"), B(4, "2027-01-04T10:00:00Z"));
        Assert.Equal(["4:Keep:keep-weekly 2027-W01", "3:Keep:keep-weekly 2026-W53", "2:Remove:", "1:Remove:"], plan);
    }

    [Fact]
    public void Months_and_years_follow_the_zone_at_their_boundaries()
    {
        // 23:30Z on 2026-12-31 is 00:30 on 2027-01-01 in Berlin: January, 2027.
        var plan = Plan(new RetentionPolicy { KeepMonthly = 2 },
            B(1, "2026-11-15T10:00:00Z"), B(2, "2026-12-31T22:30:00Z"), B(3, "2026-12-31T23:30:00Z"));
        Assert.Equal(["3:Keep:keep-monthly 2027-01", "2:Keep:keep-monthly 2026-12", "1:Remove:"], plan);

        var yearly = Plan(new RetentionPolicy { KeepYearly = 2 },
            B(4, "2025-06-01T10:00:00Z"), B(5, "2025-12-01T10:00:00Z"), B(6, "2026-12-31T22:30:00Z"), B(7, "2026-12-31T23:30:00Z"));
        Assert.Equal(["7:Keep:keep-yearly 2027", "6:Keep:keep-yearly 2026", "5:Remove:", "4:Remove:"], yearly);
    }

    [Fact]
    public void A_protected_backup_counts_for_no_rule_and_is_never_removed()
    {
        var plan = Plan(new RetentionPolicy { KeepLast = 2 },
            B(1, "2026-12-01T02:00:00Z", isProtected: true), B(2, "2026-12-02T02:00:00Z"), B(3, "2026-12-03T02:00:00Z"),
            B(4, "2026-12-04T02:00:00Z"), B(5, "2026-12-05T02:00:00Z", isProtected: true));
        Assert.Equal(["5:Protected:protected", "4:Keep:keep-last 1/2", "3:Keep:keep-last 2/2", "2:Remove:", "1:Protected:protected"], plan);
    }

    [Fact]
    public void Without_rules_every_backup_is_kept()
    {
        var plan = Plan(new RetentionPolicy { KeepDaily = 0 }, B(1, "2026-12-01T02:00:00Z"), B(2, "2026-12-02T02:00:00Z", isProtected: true));
        Assert.Equal(["2:Protected:protected", "1:Keep:no retention rules"], plan);
    }

    [Fact]
    public void Backups_of_the_same_instant_are_ordered_by_ID()
    {
        var plan = Plan(new RetentionPolicy { KeepLast = 1 }, B(7, "2026-12-01T02:00:00Z"), B(9, "2026-12-01T02:00:00Z"));
        Assert.Equal(["9:Keep:keep-last 1/1", "7:Remove:"], plan);
    }
}
