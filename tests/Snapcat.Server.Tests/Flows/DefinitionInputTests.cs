using Snapcat.Core.Errors;
using Snapcat.Server.Tests.Fixtures;

namespace Snapcat.Server.Tests.Flows;

/// <summary>Bad definitions get clear errors and change nothing (definitions, backup volume table).</summary>
public sealed class DefinitionInputTests
{
    private static async Task ExpectRejectedAsync(ServerRig f, Snapcat.Contracts.Server.DefinitionDto d, string code, string mentions)
    {
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => f.Client.CreateDefinitionAsync(d));
        Assert.Equal(code, ex.Code);
        Assert.Contains(mentions, ex.Message);
        Assert.Empty(await f.Client.ListDefinitionsAsync());
        Assert.Empty(await f.Client.ListBackupVolumesAsync());
    }

    [Fact]
    public async Task Bad_definitions_are_refused_with_what_to_do_and_nothing_is_stored()
    {
        await using var f = await ServerRig.StartAsync();
        // Volume 4 exists but is not in volume 1's copy destination list.
        await ExpectRejectedAsync(f, ServerRig.Mirror("m", volume: 4), "definition.volume_not_in_copy_list", "list: 2, 3");
        await ExpectRejectedAsync(f, ServerRig.Mirror("m") with { Host = "web99" }, "host.unknown", "db01");
        var badCron = await Assert.ThrowsAsync<SnapcatException>(() => f.Client.CreateDefinitionAsync(ServerRig.Mirror("m") with { Schedule = "61 * * * *" }));
        Assert.Equal("definition.invalid", badCron.Code);
        Assert.Contains("not a valid cron expression", badCron.Message);
        Assert.Equal(ErrorKind.Invalid, badCron.Kind);
        await ExpectRejectedAsync(f, ServerRig.Mirror("m") with { DeviceId = "ARRAY-X" }, "definition.wrong_array", "ARRAY-S1");
        await ExpectRejectedAsync(f, ServerRig.Mirror("m") with { MountPoint = "/nope" }, "mount_point.unknown", "/nope");
        Assert.Empty(await f.Client.ListDefinitionsAsync());

        // A good one goes in, lists its next run, and a duplicate name is a conflict.
        var ok = await f.Client.CreateDefinitionAsync(ServerRig.Mirror("m") with { Schedule = "0 2 * * *", TimeZone = "Europe/Berlin" });
        Assert.NotNull(ok.NextRun);
        var listed = Assert.Single(await f.Client.ListDefinitionsAsync());
        Assert.Equal(ok.NextRun, listed.NextRun);
        var dup = await Assert.ThrowsAsync<SnapcatException>(() => f.Client.CreateDefinitionAsync(ServerRig.Mirror("m")));
        Assert.Equal(ErrorKind.Conflict, dup.Kind);
    }
}
