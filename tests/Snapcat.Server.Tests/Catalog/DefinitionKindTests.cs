using Snapcat.Core.Json;
using Snapcat.Core.VolumeInformation;
using Snapcat.Server.Catalog;

namespace Snapcat.Server.Tests.Catalog;

/// <summary>
/// A definition's kind and missed-run policy are enums whose encoded names are exactly the texts the definition
/// table already stores, so existing catalogs read as before and nothing else is let in.
/// </summary>
public sealed class DefinitionKindTests
{
    private static BackupDefinition Def(string kind, string missed = "skip") => new()
    {
        Name = "k", Host = "db01", MountPoint = "/data", Kind = kind, DeviceId = "ARRAY-01", Label = "k", MissedRuns = missed,
        DestinationVolume = kind == "mirror" ? 2 : null, KeepGenerations = kind == "snapshot" ? 1 : null,
    };

    [Fact]
    public void Stored_texts_are_the_encoded_names()
    {
        Assert.Equal(["mirror", "snapshot", "tape"], BackupDefinition.Kinds);
        Assert.Equal(["skip", "run_once"], SnapcatJson.Names<MissedRunPolicy>());
        Assert.Equal((0, 1), ((int)MissedRunPolicy.Skip, (int)MissedRunPolicy.RunOnce));
        Assert.Equal("skip", new BackupDefinition { Name = "n", Host = "h", MountPoint = "/", Kind = "tape", DeviceId = "L", Label = "l" }.MissedRuns);
    }

    [Theory]
    [InlineData("mirror", BackupKind.Mirror)]
    [InlineData("snapshot", BackupKind.Snapshot)]
    [InlineData("tape", BackupKind.Tape)]
    public void A_stored_kind_reads_as_its_enum(string text, BackupKind kind)
    {
        Assert.Equal(kind, Def(text).KindValue);
        Assert.Empty(Def(text).Problems());
        Assert.Equal(MissedRunPolicy.RunOnce, Def(text, "run_once").MissedRunsValue);
    }

    [Theory]
    [InlineData("copy")]      // a backup kind, but made by the copy flows, never by a definition
    [InlineData("Mirror")]    // refused before as well: the column is compared as text
    [InlineData("1")]
    public void Any_other_kind_is_refused_with_the_list(string text)
    {
        Assert.Null(Def(text).KindValue);
        Assert.Contains(Def(text).Problems(), p => p == $"kind '{text}' is not one of mirror, snapshot, tape");
    }

    [Theory]
    [InlineData("run-once")]
    [InlineData("RunOnce")]
    [InlineData("1")]
    public void Any_other_missed_run_policy_is_refused(string text)
    {
        Assert.Null(Def("tape", text).MissedRunsValue);
        Assert.Contains(Def("tape", text).Problems(), p => p == $"missed runs must be 'skip' or 'run_once', not '{text}'");
    }
}
