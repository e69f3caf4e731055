using Snapcat.Contracts.Server;
using Snapcat.Core.Integrity;
using Snapcat.Server.Config;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Import;

/// <summary>
/// Portable backups (docs/import.md) between two whole systems — server A with array ARRAY-S1, server B with array
/// ARRAY-S2, each with its own agent — all real processes and NBD: export from A, import into B, identity proven by the
/// record and the digest; bad and tampered input is refused and leaves nothing behind.
/// </summary>
public sealed class ImportTests
{
    private static readonly ServerRigOptions B = new() { DeviceId = "ARRAY-S2", Mirrors = 1 };

    private static (string Image, string Info, string Digest) Files(string dir, long id) =>
        (Path.Combine(dir, $"backup-{id}.img"), Path.Combine(dir, $"backup-{id}.vinf"), Path.Combine(dir, $"backup-{id}.digest"));

    private static object Identity(BackupDto b) => (b.Host, b.MountPoint, b.Label, b.Kind, b.BackupId, b.Timestamp, b.Definition);

    [Fact]
    public async Task Export_from_server_A_and_import_into_server_B_on_another_array_gives_the_same_backup_and_a_second_import_is_already_imported()
    {
        await using var a = await ServerRig.StartAsync();
        await using var b = await ServerRig.StartAsync(B);
        var (data, row) = await a.MirrorBackupAsync(seed: 51);
        string dir = a.Dir.Combine("export");
        string said = await a.CliOkAsync("backup", "export", row.Id.ToString(), "--to", dir);
        var (image, info, digest) = Files(dir, row.Id);
        Assert.Contains($"exported backup {row.Id}", said);
        Assert.Equal(a.VolumeBytes, new FileInfo(image).Length);
        Assert.Equal(512, new FileInfo(info).Length);
        Assert.Equal(LunData.Hash(data), LunData.Hash(await File.ReadAllBytesAsync(image)));
        // The export sealed the digest on A's array and gave A's row that digest.
        var aRow = await a.Client.GetBackupAsync(row.Id);
        Assert.Equal(ContentDigest.Parse(await File.ReadAllBytesAsync(digest)).RootText, aRow.Digest);

        uint[] before = await b.VolumeNumbersAsync();
        string imported = await b.CliOkAsync("backup", "import", "--array", b.DeviceId, "--image", image, "--info", info, "--digest", digest);
        Assert.Contains("imported backup", imported);
        var bRow = Assert.Single(await b.Client.SearchBackupsAsync(new BackupDataFilter()));
        Assert.Equal(Identity(aRow), Identity(bRow));
        Assert.Equal(aRow.Digest, bRow.Digest);
        Assert.Equal(b.DeviceId, bRow.DeviceId);
        uint volume = uint.Parse(bRow.MediaId);
        Assert.DoesNotContain(volume, before);
        Assert.Equal(LunData.Hash(data), await b.HashVolumeAsync(volume, 30));
        // The array keeps the imported digest; B's own reconcile finds nothing to say about it.
        Assert.Equal(aRow.Digest, (await b.Array.GetDigestAsync(volume))!.Root);
        Assert.Contains("0 finding(s)", await b.CliOkAsync("drift", "check"));

        // Idempotent: the same files again are the same backup, already imported; no volume, no row.
        Assert.Contains($"already imported: backup {aRow.BackupId} is backup {bRow.Id}", await b.CliOkAsync("backup", "import", "--array", b.DeviceId, "--image", image, "--info", info, "--digest", digest));
        Assert.Single(await b.Client.SearchBackupsAsync(new BackupDataFilter()));
        Assert.Equal(before.Length + 1, (await b.VolumeNumbersAsync()).Length);
    }

    [Fact]
    public async Task A_tampered_image_is_refused_with_digest_mismatch_a_bad_vinf_is_a_clear_error_and_neither_leaves_anything()
    {
        await using var a = await ServerRig.StartAsync();
        await using var b = await ServerRig.StartAsync(B);
        var (_, row) = await a.MirrorBackupAsync(seed: 52);
        string dir = a.Dir.Combine("export");
        await a.CliOkAsync("backup", "export", row.Id.ToString(), "--to", dir);
        var (image, info, digest) = Files(dir, row.Id);
        uint[] before = await b.VolumeNumbersAsync();

        // One byte of the image changed: the array refuses the digest, the new volume is deleted, no row is added.
        string tampered = b.Dir.Combine("tampered.img");
        byte[] bytes = await File.ReadAllBytesAsync(image);
        bytes[100_000] ^= 0x01;
        await File.WriteAllBytesAsync(tampered, bytes);
        string err = await b.CliRefusedAsync("backup", "import", "--array", b.DeviceId, "--image", tampered, "--info", info, "--digest", digest);
        Assert.Contains("digest.mismatch", err);
        Assert.Equal(before, await b.VolumeNumbersAsync());
        Assert.Empty(await b.Client.SearchBackupsAsync(new BackupDataFilter()));

        // A .vinf with a flipped byte fails its checksum; one of the wrong size is no record; the server refuses the same.
        string badInfo = b.Dir.Combine("bad.vinf");
        byte[] record = await File.ReadAllBytesAsync(info);
        record[20] ^= 0x40;
        await File.WriteAllBytesAsync(badInfo, record);
        Assert.Contains("is no valid volume information", await b.CliRefusedAsync("backup", "import", "--array", b.DeviceId, "--image", image, "--info", badInfo, "--digest", digest));
        await File.WriteAllBytesAsync(badInfo, record[..100]);
        Assert.Contains("is 100 bytes; a volume information record is 512", await b.CliRefusedAsync("backup", "import", "--array", b.DeviceId, "--image", image, "--info", badInfo));
        await using (var stream = File.OpenRead(image))
        {
            record[20] ^= 0x40;
            record[30] ^= 0x01;
            var refused = await Assert.ThrowsAsync<Snapcat.Core.Errors.SnapcatException>(() => b.Client.ImportImageAsync(b.DeviceId, record, null, stream, stream.Length));
            Assert.Equal("import.bad_record", refused.Code);
            Assert.Contains("checksum", refused.Message);
        }
        Assert.Equal(before, await b.VolumeNumbersAsync());
        Assert.Empty(await b.Client.SearchBackupsAsync(new BackupDataFilter()));

        // Without its digest file the image imports with a warning and the array seals a digest on arrival.
        string output = await b.CliOkAsync("backup", "import", "--array", b.DeviceId, "--image", image, "--info", info);
        Assert.Contains("warning: no digest came with the image", output);
        var sealedRow = Assert.Single(await b.Client.SearchBackupsAsync(new BackupDataFilter()));
        Assert.Equal(ContentDigest.Parse(await File.ReadAllBytesAsync(digest)).RootText, sealedRow.Digest);

        // The same backup ID with other data and its own (valid) digest is another backup under a taken ID: refused.
        string otherDigest = b.Dir.Combine("tampered.digest");
        await File.WriteAllBytesAsync(otherDigest, ContentDigest.Compute(bytes).Serialize());
        Assert.Contains("import.backup_id_taken", await b.CliRefusedAsync("backup", "import", "--array", b.DeviceId, "--image", tampered, "--info", info, "--digest", otherDigest));
        Assert.Single(await b.Client.SearchBackupsAsync(new BackupDataFilter()));
        Assert.Equal(before.Length + 1, (await b.VolumeNumbersAsync()).Length);
    }

    [Fact]
    public async Task A_backup_volume_of_another_servers_array_comes_in_by_volume_copy_with_its_record_and_digest()
    {
        await using var a = await ServerRig.StartAsync();
        await using var b = await ServerRig.StartAsync(B);
        var (data, row) = await a.MirrorBackupAsync(seed: 53);
        // A's array copies to B's (a peer); B's server knows A's array.
        a.ArrayNode.Peers.Add(b.ArrayNode);
        await a.ArrayNode.RestartAsync();
        var before = b.ServerNode.Edit;
        b.ServerNode.Edit = c => (before?.Invoke(c) ?? c) with
        {
            Arrays = new Dictionary<string, RemoteEndpointConfig>(c.Arrays!)
            {
                [a.DeviceId] = new RemoteEndpointConfig { Url = a.ArrayNode.ControlUrl.ToString(), Token = a.ArrayNode.Token, Fingerprint = a.ArrayNode.Fingerprint },
            },
        };
        await b.StopServerAsync();
        await b.StartServerAsync();

        string output = await b.CliOkAsync("backup", "import", "--from-array", a.DeviceId, "--volume", row.MediaId, "--array", b.DeviceId);
        Assert.Contains("imported backup", output);
        var bRow = Assert.Single(await b.Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = b.DeviceId }));
        var aRow = await a.Client.GetBackupAsync(row.Id);
        Assert.Equal(Identity(aRow), Identity(bRow));
        Assert.Equal((await a.Array.GetDigestAsync(uint.Parse(row.MediaId)))!.Root, bRow.Digest);
        Assert.Equal(LunData.Hash(data), await b.HashVolumeAsync(uint.Parse(bRow.MediaId), 30));
        // No assignment of the copy is left on B's array.
        Assert.DoesNotContain(await b.Array.ListVolumesAsync(), v => v.Assignments.Any(x => x.Lun >= 200));
        // Again: already imported.
        Assert.Contains("already imported", await b.CliOkAsync("backup", "import", "--from-array", a.DeviceId, "--volume", row.MediaId, "--array", b.DeviceId));
    }
}
