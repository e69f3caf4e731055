using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;
using Snapcat.Contracts.Server;

namespace Snapcat.Server.Tests.Flows;

/// <summary>The scheduler wired to the flows: a cron definition really fires within the test and records backups.</summary>
public sealed class ScheduledRunTests
{
    [Fact]
    public async Task A_cron_definition_fires_and_its_backup_lands_in_the_catalog()
    {
        await using var f = await ServerRig.StartAsync();
        // Every 2 seconds (6-field cron with seconds).
        await f.Client.CreateDefinitionAsync(ServerRig.Snapshot("often", keep: 10) with { Schedule = "*/2 * * * * *" });
        await Poll.UntilAsync(async () => (await f.Client.SearchBackupsAsync(new BackupDataFilter { Kind = "snapshot" })).Count >= 1,
            TimeSpan.FromSeconds(30), "a scheduled snapshot backup in the catalog");
        var events = await f.Client.ListScheduleEventsAsync();
        Assert.Contains(events, e => e.Definition == "often" && e.What == "started");
        var def = await f.Client.GetDefinitionAsync("often");
        Assert.NotNull(def.LastFire);
        Assert.True(def.NextRun > def.LastFire);
    }
}
