using System.Security.Cryptography;
using System.Text.Json;
using Snapcat.Contracts.Server;
using Snapcat.Server.Tests.Fixtures;

namespace Snapcat.Server.Tests.EndToEnd;

/// <summary>
/// Issue 5's functions across real array, agent and server processes, driven by the snapcat CLI as a
/// user would: mirror and snapshot backups of an ext4 volume, catalog listing and search, catalog
/// loss and rebuild with identical rows, volume restore byte-exact, file restore of chosen files,
/// backup deletion (FIG. 14), snapshot generations pruned to keep=2. On SQLite always; on PostgreSQL
/// too when SNAPCAT_TEST_POSTGRES holds a connection string.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SystemEndToEndTests
{
    [Theory]
    [MemberData(nameof(PostgresCollection.Backends), MemberType = typeof(PostgresCollection))]
    public async Task Backups_catalog_rebuild_restores_deletion_and_generations_across_real_processes(string backend)
    {
        if (Needs.Ext4() is { } why)
        {
            Console.WriteLine($"SKIPPED system end-to-end test ({backend}): {why}");
            return;
        }
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.System("ARRAY-SYS", PostgresCollection.For(backend)));

        // An ext4 file system with files on the primary; a changed variant for later.
        string original = await rig.Ext4ImageAsync("original", new Dictionary<string, byte[]>
        {
            ["etc/app.conf"] = "threads=8\n"u8.ToArray(),
            ["etc/other.conf"] = "not asked for\n"u8.ToArray(),
            ["data/table.bin"] = RandomNumberGenerator.GetBytes(1 << 20),
        });
        string changed = await rig.Ext4ImageAsync("changed", new Dictionary<string, byte[]>
        {
            ["etc/app.conf"] = "threads=1 # broken\n"u8.ToArray(),
            ["etc/other.conf"] = "not asked for\n"u8.ToArray(),
        });
        await rig.WritePrimaryAsync(original);
        string originalSha = await rig.HashPrimaryAsync();

        // Definitions through the CLI; the mirror's secondary is checked against the agent's copy list (FIG. 4/5/8).
        await rig.CliOkAsync(rig.MirrorArgs("e2e-mirror", "e2e-mirror", "--pre", "freeze", "--post", "thaw"));
        await CreateSnapshotDefinitionAsync(rig);

        // Mirror backup (FIG. 9) and snapshot backup (FIG. 17), each with the hooks around the copy.
        var t0 = DateTimeOffset.UtcNow.AddSeconds(-1);
        Assert.Contains("succeeded", await rig.CliOkAsync("backup", "run", "e2e-mirror", "--wait"));
        Assert.Contains("succeeded", await rig.CliOkAsync("backup", "run", "e2e-snap", "--wait"));
        Assert.Equal(["freeze pre e2e-mirror", "thaw post e2e-mirror", "freeze pre e2e-snap", "thaw post e2e-snap"], File.ReadAllLines(rig.HookLog));

        // Listing and search.
        var all = await ListAsync(rig);
        Assert.Equal(2, all.Length);
        var mirror = Assert.Single(all, b => b.Kind == "mirror");
        var snap = Assert.Single(all, b => b.Kind == "snapshot");
        Assert.Equal((ServerRig.Host, ServerRig.MountPoint, "e2e-mirror", rig.DeviceId, rig.Secondary.ToString()),
            (mirror.Host, mirror.MountPoint, mirror.Label, mirror.DeviceId, mirror.MediaId));
        Assert.Equal("e2e-snap", Assert.Single(await ListAsync(rig, "--label", "e2e-snap")).Label);
        Assert.Equal("mirror", Assert.Single(await ListAsync(rig, "--kind", "mirror")).Kind);
        Assert.Equal(2, (await ListAsync(rig, "--mount-point", ServerRig.MountPoint, "--from", t0.ToString("o"))).Length);
        Assert.Empty(await ListAsync(rig, "--host", "no-such-host"));
        Assert.Empty(await ListAsync(rig, "--to", t0.ToString("o")));
        string table = await rig.CliOkAsync("backup", "list");
        Assert.Contains("e2e-mirror", table);
        Assert.Contains(ServerRig.MountPoint, table);

        // Catalog loss, then a rebuild from the array gives back the same rows (FIG. 15).
        await rig.LoseCatalogAsync();
        await rig.StartServerAsync();
        Assert.Empty(await ListAsync(rig));
        string report = await rig.CliOkAsync("catalog", "rebuild", "--array", rig.DeviceId);
        Assert.Contains("2 added", report);
        var rebuilt = await ListAsync(rig);
        Assert.Equal(all.Select(Key).Order(), rebuilt.Select(Key).Order());
        // Origin and ID come back from the volume information (record version 2).
        Assert.All(rebuilt, b => Assert.Equal("backup", b.Origin));
        Assert.Equal(all.Select(b => (b.Id, Key(b))).OrderBy(x => x.Id), rebuilt.Select(b => (b.Id, Key(b))).OrderBy(x => x.Id));
        mirror = Assert.Single(rebuilt, b => b.Kind == "mirror");
        snap = Assert.Single(rebuilt, b => b.Kind == "snapshot");

        // Volume restore from the mirror backup (FIG. 12): the changed primary comes back byte-exact.
        await rig.WritePrimaryAsync(changed);
        Assert.NotEqual(originalSha, await rig.HashPrimaryAsync());
        await rig.CliOkAsync("backup", "restore", mirror.Id.ToString(), "--force", "--wait");
        Assert.Equal(originalSha, await rig.HashPrimaryAsync());

        // File restore of chosen files from the snapshot (FIG. 13), through the server and the agent.
        if (Needs.FileRestore() is { } noFiles)
            Console.WriteLine($"SKIPPED file restore part ({backend}): {noFiles}");
        else
        {
            string dest = rig.Dir.Combine("restored");
            Directory.CreateDirectory(dest);
            await rig.CliOkAsync("backup", "restore", snap.Id.ToString(), "--files", "etc/app.conf", "--files", "data/*.bin", "--destination", dest, "--wait");
            Assert.Equal("threads=8\n", File.ReadAllText(Path.Combine(dest, "etc", "app.conf")));
            Assert.Equal(1 << 20, new FileInfo(Path.Combine(dest, "data", "table.bin")).Length);
            Assert.False(File.Exists(Path.Combine(dest, "etc", "other.conf")));
            Assert.DoesNotContain(File.ReadAllLines("/proc/self/mounts"), l => l.Contains(rig.Dir.Path));
        }

        // Delete the mirror backup (FIG. 14): gone from the array's volume information and the catalog.
        Assert.NotNull(await rig.Array.GetVolumeInfoAsync(rig.Secondary));
        await rig.CliOkAsync("backup", "delete", mirror.Id.ToString(), "--wait");
        Assert.Null(await rig.Array.GetVolumeInfoAsync(rig.Secondary));
        Assert.Empty(await ListAsync(rig, "--kind", "mirror"));
        var missing = await ServerRig.CliAsync(["backup", "show", mirror.Id.ToString(), .. rig.Conn]);
        Assert.Equal(1, missing.Code);

        // Snapshot generations: with keep=2, three runs in all leave two snapshots, oldest deleted. The
        // definition went with the lost catalog (definitions are not in any volume information), so
        // it is defined again; the rebuilt first generation still counts.
        Assert.DoesNotContain("e2e-snap", await rig.CliOkAsync("definition", "list"));
        await CreateSnapshotDefinitionAsync(rig);
        await rig.CliOkAsync("backup", "run", "e2e-snap", "--wait");
        await rig.CliOkAsync("backup", "run", "e2e-snap", "--wait");
        var snaps = await ListAsync(rig, "--kind", "snapshot");
        Assert.Equal(2, snaps.Length);
        Assert.DoesNotContain(snaps, b => b.MediaId == snap.MediaId);
        var onArray = await rig.Array.ListSnapshotsAsync(rig.Primary);
        Assert.Equal(snaps.Select(b => b.MediaId).Order(), onArray.Select(v => v.Number.ToString()).Order());
    }

    private static Task<string> CreateSnapshotDefinitionAsync(ServerRig rig) =>
        rig.CliOkAsync(rig.SnapshotArgs("e2e-snap", "e2e-snap", 2, "--pre", "freeze", "--post", "thaw"));

    private static string Key(BackupDto b) => $"{b.Host}|{b.MountPoint}|{b.Label}|{b.Timestamp:O}|{b.Kind}|{b.DeviceId}|{b.MediaId}";

    private static async Task<BackupDto[]> ListAsync(ServerRig rig, params string[] filter) =>
        JsonSerializer.Deserialize<BackupDto[]>(await rig.CliOkAsync(["backup", "list", "-o", "json", .. filter]), ServerClient.Json)!;
}
