using System.Net;
using Snapcat.Array.Tests.Daemon;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.DiskFull;

/// <summary>
/// The agent's state directory (its pending-thaw journal) on a full file system: a backup with a
/// freeze hook fails with storage.full before the hook runs (nothing frozen that nobody would thaw),
/// and the same order succeeds once space is back. Real array and agent daemons, loop-mounted ext4.
/// </summary>
public sealed class AgentDiskFullTests
{
    [Fact]
    public async Task A_backup_whose_journal_cannot_be_written_fails_with_storage_full_and_runs_once_space_is_back()
    {
        await using var fs = await LoopExt4.CreateAsync(48L << 20);
        await using var system = new SnapcatSystem("agent-full");
        var a = await system.StartArrayAsync("ARRAY-AGFULL", dataPortCount: 1);
        var primary = await a.Client.CreateVolumeAsync("4M");
        var secondary = await a.Client.CreateVolumeAsync("4M");
        await a.AssignAsync(primary.Number, 1, readOnly: false);
        await a.Client.AddMirrorAsync(primary.Number, secondary.Number);

        var agent = system.AddAgent("full-host", n =>
        {
            n.StateDirectory = fs.Combine("agent-state");
            // The audit log stays off the full file system: this test is about the pending-thaw journal, and a call
            // whose audit line cannot be written is not answered as done (docs/SECURITY.md).
            n.AuditFile = "audit.log";
            n.Protect("/srv/full", "/dev/nbd0", a.Port(0), 1);
        });
        string hookLog = Path.Combine(agent.Dir, "hooks.log");
        agent.AddHook("freeze", "/bin/sh", ["-c", $"echo freeze >> '{hookLog}'"], timeoutSeconds: 30)
            .AddHook("thaw", "/bin/sh", ["-c", $"echo thaw >> '{hookLog}'"], timeoutSeconds: 30);
        await system.StartAsync();
        var order = new
        {
            kind = "mirror", mountPoint = "/srv/full", label = "daily", destinationVolume = secondary.Number,
            preProcess = new { name = "freeze" }, postProcess = new { name = "thaw" },
        };

        await fs.FillAsync();
        var failed = await RunAsync(agent, order);
        Assert.Equal(JobState.Failed, failed.State);
        Assert.True(failed.ErrorCode == "storage.full", $"{failed.ErrorCode}: {failed.ErrorMessage}");
        Assert.False(File.Exists(hookLog), "the freeze hook ran although its thaw could not be recorded");

        await fs.FreeAsync();
        var ok = await RunAsync(agent, order);
        Assert.True(ok.State == JobState.Succeeded, $"{ok.State} {ok.ErrorCode}: {ok.ErrorMessage}");
        Assert.Equal(["freeze", "thaw"], await File.ReadAllLinesAsync(hookLog));
        Assert.Empty(Directory.GetFiles(fs.Combine("agent-state"), "*", SearchOption.AllDirectories));  // nothing owed
    }

    private static async Task<JobSnapshot> RunAsync(AgentNode agent, object order)
    {
        var job = await HttpAssert.ReadAsync<JobSnapshot>(await agent.PostAsync("/v1/backups", order), HttpStatusCode.Accepted);
        return await agent.WaitJobAsync(job.Id);
    }
}
