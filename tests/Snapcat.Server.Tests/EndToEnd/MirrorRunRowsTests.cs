using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Contracts.Server;
using Snapcat.Server.Tests.Fixtures;

namespace Snapcat.Server.Tests.EndToEnd;

/// <summary>
/// Three real daemons (array, agent, server with SQLite):
/// issue 15.5 — a mirror run that fails before the array starts copying keeps the previous backup's row;
/// issue 9.10 — "files": [] on a restore is a 400, never a whole-volume restore onto the live primary.
/// </summary>
public sealed class MirrorRunRowsTests
{
    [Fact]
    public async Task A_mirror_run_that_fails_before_the_copy_keeps_the_previous_backup_and_an_empty_file_list_is_refused()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.System("ARRAY-ROWS"));
        await rig.CliOkAsync(rig.MirrorArgs("rows-mirror", "rows-mirror", "--pre", "freeze", "--post", "thaw"));
        Assert.Contains("succeeded", await rig.CliOkAsync("backup", "run", "rows-mirror", "--wait"));
        var before = Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = rig.DeviceId }));
        string primaryBefore = await rig.HashPrimaryAsync();

        // 9.10: an empty file list is refused before any job runs, and the primary is untouched.
        int jobsBefore = (await rig.Client.ListJobsAsync()).Count;
        var refused = await Assert.ThrowsAsync<SnapcatException>(() => rig.Client.RestoreAsync(before.Id, new RestoreRequest(Files: [])));
        Assert.Equal(ErrorKind.Invalid, refused.Kind);
        Assert.Equal("restore.nothing_requested", refused.Code);
        Assert.Equal(jobsBefore, (await rig.Client.ListJobsAsync()).Count);
        Assert.Equal(primaryBefore, await rig.HashPrimaryAsync());

        // 15.5: the array is down; the run fails before any copy, and the previous backup stays listed.
        rig.ArrayNode.KillHard();
        var run = await rig.Client.RunDefinitionAsync("rows-mirror");
        var failed = await rig.Client.WaitForJobAsync(run.Id, timeout: TimeSpan.FromSeconds(120));
        Assert.Equal(JobState.Failed, failed.State);
        var after = Assert.Single(await rig.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = rig.DeviceId }));
        Assert.Equal(before.Id, after.Id);
        Assert.DoesNotContain(failed.Log, l => l.Message.Contains("removed", StringComparison.Ordinal) && l.Message.Contains("catalog row", StringComparison.Ordinal));
    }
}
