using System.Text;
using Snapcat.Core.Integrity;
using Snapcat.Tape.Backup;
using Snapcat.Tape.Cartridge;
using Snapcat.TestKit;

namespace Snapcat.Tape.Tests;

/// <summary>Content digests on tape (issue 13): management information and trailer version 2, and tapes written before them.</summary>
public class DigestTests
{
    [Fact]
    public async Task A_new_backup_carries_its_digest_in_the_trailer_and_reads_back_with_it()
    {
        using var dir = new TempDir("tape");
        var lib = new DirectoryCartridgeLibrary(dir.Path, 64L << 20);
        var data = BackupTests.RandomData(1_000_000, 21);
        string root = ContentDigest.Compute(data).RootText;

        // The disk backup's digest known in advance: it goes into the management information too.
        var written = await new TapeBackupWriter(lib).WriteAsync(BackupTests.Management(Guid.NewGuid()) with { Digest = root }, new MemoryStream(data));
        Assert.Equal(root, written.Digest);

        var output = new MemoryStream();
        var (mgmt, read) = await new TapeBackupReader(lib).CopyDataToAsync(written.Location, output);
        Assert.Equal(data, output.ToArray());
        Assert.Equal(TapeManagementRecord.CurrentVersion, mgmt.Version);
        Assert.Equal(root, mgmt.Digest);
        Assert.Equal(root, read.Digest);
        Assert.Equal(root, read.RecordedDigest);
    }

    [Fact]
    public async Task Data_that_differs_from_the_disk_backups_digest_is_refused_and_the_cartridge_stays_clean()
    {
        using var dir = new TempDir("tape");
        var lib = new DirectoryCartridgeLibrary(dir.Path, 64L << 20);
        var data = BackupTests.RandomData(300_000, 22);
        string wrong = ContentDigest.Compute(BackupTests.RandomData(300_000, 23)).RootText;

        var e = await Assert.ThrowsAsync<TapeFormatException>(() =>
            new TapeBackupWriter(lib).WriteAsync(BackupTests.Management(Guid.NewGuid()) with { Digest = wrong }, new MemoryStream(data)));
        Assert.Equal("digest.mismatch", e.Code);
        Assert.Contains(wrong, e.Message);

        // The refused copy's files were cut off: the next backup starts at file 1 of the cartridge, and nothing else is on it.
        var next = await new TapeBackupWriter(lib).WriteAsync(BackupTests.Management(Guid.NewGuid()), new MemoryStream(data));
        Assert.Equal(new TapeFileLocation("SC0001", 1), next.Location);
        using var drive = lib.Mount("SC0001", writable: false);
        Assert.Equal(3, CartridgeScanner.Scan(drive).Files.Count);
    }

    [Fact]
    public void A_version_1_management_record_without_a_digest_still_parses_as_no_digest()
    {
        var v2 = BackupTests.Management(Guid.NewGuid());
        // A record as Snapcat wrote it before digests: version 1, no "digest" property at all.
        string json = Encoding.UTF8.GetString(v2.Serialize()).Replace("\"version\": 2", "\"version\": 1", StringComparison.Ordinal)
            .Replace("\"digest\": null,", "", StringComparison.Ordinal).Replace(",\n  \"digest\": null", "", StringComparison.Ordinal);
        Assert.DoesNotContain("digest", json, StringComparison.Ordinal);
        Assert.Contains("\"version\": 1", json, StringComparison.Ordinal);

        var old = TapeManagementRecord.Parse(Encoding.UTF8.GetBytes(json));
        Assert.Equal(1, old.Version);
        Assert.Null(old.Digest);
        Assert.Equal(v2.BackupId, old.BackupId);

        // A version 1 record cannot claim a digest, and a digest must be a sha256: root; a future version is refused.
        var claims = json.Replace("\"version\": 1", "\"version\": 1, \"digest\": \"sha256:" + new string('a', 64) + "\"", StringComparison.Ordinal);
        Assert.Equal("tape.management.digest", Assert.Throws<TapeFormatException>(() => TapeManagementRecord.Parse(Encoding.UTF8.GetBytes(claims))).Code);
        var bad = v2 with { Digest = "md5:1234" };
        Assert.Equal("tape.management.digest", Assert.Throws<TapeFormatException>(() => bad.Serialize()).Code);
        var future = json.Replace("\"version\": 1", "\"version\": 3", StringComparison.Ordinal);
        Assert.Equal("tape.management.version", Assert.Throws<TapeFormatException>(() => TapeManagementRecord.Parse(Encoding.UTF8.GetBytes(future))).Code);
    }

    [Fact]
    public async Task A_tape_written_before_digests_reads_back_without_a_digest_check_and_its_crc_still_catches_damage()
    {
        using var dir = new TempDir("tape");
        var lib = new DirectoryCartridgeLibrary(dir.Path, 64L << 20);
        var data = BackupTests.RandomData(200_000, 24);
        var id = Guid.NewGuid();
        WriteVersion1Backup(lib, id, data);

        var output = new MemoryStream();
        var (mgmt, read) = await new TapeBackupReader(lib).CopyDataToAsync(new TapeFileLocation("SC0001", 1), output);
        Assert.Equal(data, output.ToArray());
        Assert.Equal(1, mgmt.Version);
        Assert.Null(mgmt.Digest);
        Assert.Null(read.RecordedDigest);                                   // "no digest", not an error
        Assert.Equal(ContentDigest.Compute(data).RootText, read.Digest);    // what was read, for a verify to seal

        var bytes = File.ReadAllBytes(lib.PathOf("SC0001"));
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(lib.PathOf("SC0001"), bytes);
        var e = await Assert.ThrowsAsync<TapeFormatException>(() => new TapeBackupReader(lib).CopyDataToAsync(new TapeFileLocation("SC0001", 1), Stream.Null));
        Assert.Equal("tape.checksum_mismatch", e.Code);
    }

    /// <summary>The three files as the writer made them before issue 13: management information and trailer version 1.</summary>
    private static void WriteVersion1Backup(DirectoryCartridgeLibrary lib, Guid id, byte[] data)
    {
        string mgmt = Encoding.UTF8.GetString(BackupTests.Management(id).Serialize()).Replace("\"version\": 2", "\"version\": 1", StringComparison.Ordinal)
            .Replace(",\n  \"digest\": null", "", StringComparison.Ordinal).Replace("\"digest\": null,", "", StringComparison.Ordinal);
        Assert.DoesNotContain("digest", mgmt, StringComparison.Ordinal);
        uint crc = ~Snapcat.Core.VolumeInformation.Crc32CHash.Append(0xFFFFFFFFu, data);
        int blocks = (data.Length + TapeBackupWriter.DataBlockLength - 1) / TapeBackupWriter.DataBlockLength;
        string trailer = $"{{\"format\":\"snapcat-tape-trailer\",\"version\":1,\"backupId\":\"{id}\",\"dataBytes\":{data.Length},\"dataBlocks\":{blocks},\"crc32C\":\"{TapeBackupTrailer.FormatCrc(crc)}\"}}";

        using var set = new TapeFileSetWriter(lib, TimeProvider.System);
        set.BeginFile(TapeBackupWriter.FileIdentifier(id, "MGMT"), TapeBackupWriter.DataBlockLength);
        set.WriteBlock(Encoding.UTF8.GetBytes(mgmt));
        set.EndFile();
        set.BeginFile(TapeBackupWriter.FileIdentifier(id, "DATA"), TapeBackupWriter.DataBlockLength);
        for (int at = 0; at < data.Length; at += TapeBackupWriter.DataBlockLength)
            set.WriteBlock(data.AsSpan(at, Math.Min(TapeBackupWriter.DataBlockLength, data.Length - at)));
        set.EndFile();
        set.BeginFile(TapeBackupWriter.FileIdentifier(id, "TRLR"), TapeBackupWriter.DataBlockLength);
        set.WriteBlock(Encoding.UTF8.GetBytes(trailer));
        set.EndFile();
    }
}
