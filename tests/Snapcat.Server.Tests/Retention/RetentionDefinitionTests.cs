using Snapcat.Core.Errors;
using Snapcat.Server.Catalog;
using Snapcat.Server.Retention;

namespace Snapcat.Server.Tests.Retention;

/// <summary>A definition's retention: what each kind accepts, and keep generations as the older keep-last.</summary>
public sealed class RetentionDefinitionTests
{
    private static BackupDefinition Def(string kind, int? keep = null, RetentionPolicy? retention = null) => new()
    {
        Name = "r", Host = "db01", MountPoint = "/data", Kind = kind, DeviceId = kind == "tape" ? "TAPE-1" : "ARRAY-01", Label = "r",
        DestinationVolume = kind == "mirror" ? 2 : null, KeepGenerations = keep, Retention = retention,
    };

    [Fact]
    public void Keep_generations_of_an_old_snapshot_definition_is_its_keep_last()
    {
        var d = Def("snapshot", keep: 3);
        Assert.Empty(d.Problems());
        Assert.Equal(new RetentionPolicy { KeepLast = 3 }, d.EffectiveRetention);
        Assert.Equal("keep-last 3", d.EffectiveRetention!.ToString());
        // With time rules and no keep-last, keep generations supplies it.
        Assert.Equal(new RetentionPolicy { KeepLast = 3, KeepDaily = 7 }, Def("snapshot", keep: 3, new RetentionPolicy { KeepDaily = 7 }).EffectiveRetention);
    }

    [Fact]
    public void A_snapshot_definition_may_have_time_rules_instead_of_keep_generations_but_needs_one_rule()
    {
        Assert.Empty(Def("snapshot", retention: new RetentionPolicy { KeepDaily = 7, KeepWeekly = 4 }).Problems());
        Assert.Contains(Def("snapshot").Problems(), p => p.Contains("a snapshot definition needs keep generations (keep-last) of 1 or more", StringComparison.Ordinal));
        Assert.Contains(Def("snapshot", retention: new RetentionPolicy { KeepDaily = 0 }).Problems(), p => p.Contains("needs keep generations", StringComparison.Ordinal));
        Assert.Contains(Def("snapshot", retention: new RetentionPolicy { KeepLast = -1, KeepDaily = 2 }).Problems(), p => p == "keep-last must be 0 or more, not -1");
    }

    [Fact]
    public void Keep_generations_and_a_different_keep_last_are_refused()
    {
        var ex = Assert.Throws<SnapcatException>(() => Def("snapshot", keep: 2, new RetentionPolicy { KeepLast = 5 }).Validate());
        Assert.Equal("definition.invalid", ex.Code);
        Assert.Contains("keep generations 2 and keep-last 5 disagree", ex.Message);
        Assert.Empty(Def("snapshot", keep: 2, new RetentionPolicy { KeepLast = 2 }).Problems());
    }

    [Fact]
    public void A_mirror_keeps_its_last_backup_only_and_refuses_other_rules_naming_them()
    {
        Assert.Equal(new RetentionPolicy { KeepLast = 1 }, Def("mirror").EffectiveRetention);
        Assert.Empty(Def("mirror", retention: new RetentionPolicy { KeepLast = 1 }).Problems());
        var ex = Assert.Throws<SnapcatException>(() => Def("mirror", retention: new RetentionPolicy { KeepLast = 3, KeepDaily = 7 }).Validate());
        Assert.Contains("a mirror definition overwrites its one destination volume on every run, so it always keeps exactly the last backup (keep-last 1, implied); " +
            "keep-last 3, keep-daily 7 makes no sense for it", ex.Message);
    }

    [Fact]
    public void A_tape_definition_takes_every_rule_and_without_rules_keeps_everything()
    {
        Assert.Empty(Def("tape", retention: new RetentionPolicy { KeepLast = 2, KeepMonthly = 12, KeepYearly = 5 }).Problems());
        Assert.Null(Def("tape").EffectiveRetention);
        // keep generations never meant anything for a tape definition; it still does not.
        Assert.Null(Def("tape", keep: 2).EffectiveRetention);
    }

    [Fact]
    public void The_stored_JSON_round_trips_and_names_only_the_rules()
    {
        var r = new RetentionPolicy { KeepLast = 3, KeepDaily = 7, KeepYearly = 2 };
        string json = RetentionPolicy.ToJson(r)!;
        Assert.DoesNotContain("keepsEverything", json);
        Assert.DoesNotContain("rules", json);
        Assert.Contains("\"keepDaily\":7", json);
        Assert.Equal(r, RetentionPolicy.FromJson(json));
        Assert.Null(RetentionPolicy.FromJson(null));
    }
}
