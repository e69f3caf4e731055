using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Snapcat.Agent.Tests.Restore;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;
using Snapcat.Contracts.Agent;

namespace Snapcat.Agent.Tests.Daemon;

/// <summary>
/// Issue 4's whole story through the agent daemon's API, with real processes and a real ext4 file
/// system: mirror and snapshot backups, files changed and deleted, volume restore from each backup
/// byte-exact, then a file restore of chosen files only.
/// </summary>
public sealed class Ext4EndToEndTests
{
    private const long Size = 32L << 20;

    [Fact]
    public async Task Backups_then_volume_and_file_restore_through_the_agent_api()
    {
        if (RestoreWorld.WhyUnavailable() is { } why)
        {
            Console.WriteLine($"SKIPPED ext4 end-to-end test: {why}");
            return;
        }
        await using var rig = await AgentRig.StartAsync("ARRAY-E2E", "32M");

        // A file system with files, made by mke2fs -d, written into the primary (LUN 1) over NBD.
        string content = rig.Dir.Combine("content");
        Directory.CreateDirectory(Path.Combine(content, "etc"));
        Directory.CreateDirectory(Path.Combine(content, "data"));
        File.WriteAllText(Path.Combine(content, "etc", "app.conf"), "threads=8\n");
        File.SetUnixFileMode(Path.Combine(content, "etc", "app.conf"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var mtime = new DateTime(2024, 2, 29, 12, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(Path.Combine(content, "etc", "app.conf"), mtime);
        File.WriteAllText(Path.Combine(content, "etc", "other.conf"), "not asked for\n");
        File.WriteAllBytes(Path.Combine(content, "data", "table.bin"), RandomNumberGenerator.GetBytes(2 << 20));
        string original = rig.Dir.Combine("original.img"), changed = rig.Dir.Combine("changed.img");
        (await Tool.RunAsync("mke2fs", ["-q", "-F", "-t", "ext4", "-d", content, original, "32M"])).EnsureSuccess("mke2fs");
        File.WriteAllText(Path.Combine(content, "etc", "app.conf"), "threads=1 # broken\n");
        File.Delete(Path.Combine(content, "data", "table.bin"));
        (await Tool.RunAsync("mke2fs", ["-q", "-F", "-t", "ext4", "-d", content, changed, "32M"])).EnsureSuccess("mke2fs changed");
        string originalSha = Sha(original);
        await WriteLunAsync(rig, original);
        Assert.Equal(originalSha, await rig.HashLunAsync(rig.PortA, 1));

        // Mirror backup (FIG. 10) and snapshot backup (FIG. 18) through the agent, with hooks.
        var mirror = await RunAsync(rig, "/v1/backups", new BackupOrder("mirror", AgentRig.MountPoint, "e2e-mirror", rig.Secondary,
            HookRef.Named("freeze"), HookRef.Named("thaw")));
        var snap = await RunAsync(rig, "/v1/backups", new BackupOrder("snapshot", AgentRig.MountPoint, "e2e-snap", null,
            HookRef.Named("freeze"), HookRef.Named("thaw")));
        Assert.Equal(rig.Secondary, mirror.Result!.Deserialize<BackupResultDto>(AgentRig.Json)!.Volume);
        uint snapshotVolume = snap.Result!.Deserialize<BackupResultDto>(AgentRig.Json)!.Volume;
        Assert.NotEqual(rig.Secondary, snapshotVolume);
        Assert.Equal(["freeze pre", "thaw post"], rig.HookLines("e2e-mirror").Select(l => string.Join(' ', l.Split(' ')[..2])));

        // The host changes and deletes files; a volume restore from each backup brings every byte back.
        foreach (uint backup in new[] { rig.Secondary, snapshotVolume })
        {
            await WriteLunAsync(rig, changed);
            Assert.NotEqual(originalSha, await rig.HashLunAsync(rig.PortA, 1));
            await RunAsync(rig, "/v1/volume-restores", new VolumeRestoreOrder(AgentRig.MountPoint, backup, Force: true));
            Assert.Equal(originalSha, await rig.HashLunAsync(rig.PortA, 1));
        }

        // File restore (FIG. 13) of chosen files only, from the mirror backup, into another directory.
        string dest = rig.Dir.Combine("restored");
        Directory.CreateDirectory(dest);
        var fr = await RunAsync(rig, "/v1/file-restores", new FileRestoreOrder(rig.DeviceId, rig.Secondary, ["etc/app.conf", "data/*.bin"], Destination: dest));
        var result = fr.Result!.Deserialize<FileRestoreResultDto>(AgentRig.Json)!;
        Assert.Equal(2, result.Copied.Count);
        Assert.Equal("threads=8\n", File.ReadAllText(Path.Combine(dest, "etc", "app.conf")));
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(Path.Combine(dest, "etc", "app.conf")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(Path.Combine(dest, "etc", "app.conf")));
        Assert.Equal(2 << 20, new FileInfo(Path.Combine(dest, "data", "table.bin")).Length);
        Assert.False(File.Exists(Path.Combine(dest, "etc", "other.conf")));
        // Nothing left attached: the restore port/LUN is released on the array.
        var lun = await rig.Array.GetAsync($"/v1/ports/{Uri.EscapeDataString(rig.PortB)}/luns/7");
        Assert.Equal(HttpStatusCode.NotFound, lun.StatusCode);
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mounts"), l => l.Contains(rig.Dir.Path));
    }

    private static async Task<JobSnapshot> RunAsync(AgentRig rig, string path, object order)
    {
        var accepted = await AgentRig.Read<JobSnapshot>(await rig.PostAgentAsync(path, order), HttpStatusCode.Accepted);
        var done = await rig.WaitAgentJobAsync(accepted.Id, TimeSpan.FromSeconds(120));
        Assert.True(done.State == JobState.Succeeded, $"{path} job {done.State}: {done.ErrorCode} {done.ErrorMessage}\n{string.Join('\n', done.Log.Select(l => l.Message))}");
        return done;
    }

    private static async Task WriteLunAsync(AgentRig rig, string image) =>
        (await Tool.RunAsync("nbdcopy", [image, $"nbd://{rig.PortA}/1"])).EnsureSuccess("nbdcopy");

    private static string Sha(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(f));
    }
}
