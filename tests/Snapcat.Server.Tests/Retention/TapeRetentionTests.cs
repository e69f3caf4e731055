using Snapcat.Contracts.Server;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Retention;

/// <summary>A tape definition's retention, applied after each run by the same plan as a prune, with real daemons and library.</summary>
[Collection("tape-flows")]
public sealed class TapeRetentionTests
{
    [Fact]
    public async Task A_tape_definition_with_keep_last_keeps_that_many_tape_backups_and_a_protected_one_besides()
    {
        if (!Tool.Exists("nbdcopy")) Assert.Fail("nbdcopy (package libnbd-bin) is required");
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape());
        await rig.Client.CreateDefinitionAsync(new DefinitionDto
        {
            Name = "tape", Host = ServerRig.Host, MountPoint = ServerRig.MountPoint, Kind = "tape", DeviceId = ServerRig.TapeLibraryId, Label = "tape",
            Retention = new RetentionDto { KeepLast = 1 },
        });
        var tapeRows = () => rig.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = ServerRig.TapeLibraryId });

        var first = await rig.RunAsync("tape");
        long firstId = Assert.Single(await tapeRows()).Id;
        var second = await rig.RunAsync("tape");
        // keep-last 1: the first tape backup's row went with the second run (reported in the run's result).
        var now = Assert.Single(await tapeRows());
        Assert.NotEqual(firstId, now.Id);
        Assert.Equal([firstId], second.Result!["deletedGenerations"]!.AsArray().Select(n => n!.GetValue<long>()));
        Assert.Empty(first.Result!["deletedGenerations"]!.AsArray());

        // Protected, it is kept beside the next newest.
        await rig.Client.ProtectBackupAsync(now.Id);
        await rig.RunAsync("tape");
        var rows = await tapeRows();
        Assert.Equal(2, rows.Count);
        Assert.Equal(now.Id, rows[^1].Id);
        Assert.Equal(["keep", "protected"], (await rig.Client.PlanPruneAsync("tape")).Definitions[0].Backups.Select(b => b.Action));
    }
}
