using System.Security.Cryptography;
using Snapcat.Contracts.Server;
using Snapcat.Core.Errors;
using Snapcat.Core.Security;
using Snapcat.Server.Tests.Fixtures;

namespace Snapcat.Server.Tests.Security;

/// <summary>
/// The flows with the agent on an agent credential of the array (limited to its protected LUN, that volume's
/// copy destinations and snapshots, and its restore port): everything the agent asks of the array stays in scope.
/// </summary>
public sealed class ScopedAgentFlowTests
{
    [Fact]
    public async Task Mirror_and_snapshot_backups_pruning_restores_and_delete_run_with_the_agents_scoped_array_credential()
    {
        await using var f = await ServerRig.StartAsync(ServerRigOptions.Flows with { ScopedAgent = true });
        string? noFiles = Needs.FileRestore();
        byte[] hosts = "127.0.0.1 db01\n"u8.ToArray();
        await f.WritePrimaryAsync(noFiles is null
            ? await File.ReadAllBytesAsync(await f.Ext4ImageAsync("content", new Dictionary<string, byte[]> { ["etc/hosts"] = hosts }))
            : RandomNumberGenerator.GetBytes(4 << 20));
        string backedUp = await f.HashPrimaryAsync();

        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly"));
        await f.RunAsync("nightly");
        await f.Client.CreateDefinitionAsync(ServerRig.Snapshot("hourly", keep: 1));
        await f.RunAsync("hourly");
        await f.RunAsync("hourly");  // prunes the first snapshot through the agent
        Assert.Single(await f.Array.ListSnapshotsAsync(f.Primary));
        var mirror = Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter { Kind = "mirror" }));

        await f.WritePrimaryAsync(RandomNumberGenerator.GetBytes(4 << 20));
        var whole = await f.Client.RestoreAsync(mirror.Id, new RestoreRequest(Force: true));
        ServerClient.EnsureSucceeded(await f.Client.WaitForJobAsync(whole.Id, timeout: TimeSpan.FromSeconds(60)));
        Assert.Equal(backedUp, await f.HashPrimaryAsync());

        if (noFiles is null)
        {
            string destination = f.Dir.Combine("restored");
            var files = await f.Client.RestoreAsync(mirror.Id, new RestoreRequest(["etc/hosts"], destination));
            ServerClient.EnsureSucceeded(await f.Client.WaitForJobAsync(files.Id, timeout: TimeSpan.FromSeconds(60)));
            Assert.Equal(hosts, File.ReadAllBytes(Path.Combine(destination, "etc", "hosts")));
        }
        else Console.WriteLine($"SKIPPED file restore part: {noFiles}");

        var deletion = await f.Client.DeleteBackupAsync(mirror.Id);
        ServerClient.EnsureSucceeded(await f.Client.WaitForJobAsync(deletion.Id, timeout: TimeSpan.FromSeconds(30)));
        Assert.Null(await f.Array.GetVolumeInfoAsync(f.Secondary));

        // The agent really called with its scoped credential: the array audited its copies, snapshots and deletions under its name.
        var agentLines = AuditLogFile.Read(f.ArrayNode.AuditFilePath).Where(l => l.Principal == ServerRig.AgentArrayCredential).ToList();
        Assert.Contains(agentLines, l => l.Route == "/v1/copies" && l.Outcome == "ok");
        Assert.Contains(agentLines, l => l.Route == "/v1/ports/{port}/luns/{lun}/snapshots" && l.Outcome == "ok");
        Assert.Contains(agentLines, l => l.Method == "DELETE" && l.Route == "/v1/volumes/{number}" && l.Outcome == "ok");
        Assert.Contains(agentLines, l => l.Route == "/v1/restores" && l.Outcome == "ok");
        Assert.DoesNotContain(agentLines, l => l.Outcome != "ok");

        // And that credential cannot reach the spare volume (4), which no LUN of the host names.
        using var scoped = f.ArrayNode.ClientAs(ServerRig.AgentArrayCredential);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => scoped.GetVolumeAsync(4));
        Assert.Equal("scope.volume", ex.Code);
    }
}
