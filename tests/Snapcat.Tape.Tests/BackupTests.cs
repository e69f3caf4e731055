using System.Text.Json.Nodes;
using Snapcat.Core.VolumeInformation;
using Snapcat.Tape.Backup;
using Snapcat.Tape.Cartridge;
using Snapcat.TestKit;

namespace Snapcat.Tape.Tests;

public class BackupTests
{
    internal static TapeManagementRecord Management(Guid id) => new()
    {
        BackupId = id,
        VolumeInformation = new VolumeInfoRecord
        {
            Label = "db", Host = "host1", MountPoint = "/data", Timestamp = DateTimeOffset.UnixEpoch.AddDays(20000),
            Kind = BackupKind.Copy, SourceDeviceId = "ARRAY1", SourceVolume = 3, BackupId = id,
        }.Encode(),
        CatalogRows = [new JsonObject { ["deviceId"] = "ARRAY1", ["volume"] = 7 }],
    };

    internal static byte[] RandomData(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task Write_then_read_is_byte_exact_with_a_final_partial_block()
    {
        using var dir = new TempDir("tape");
        var lib = new DirectoryCartridgeLibrary(dir.Path, 64L << 20);
        var data = RandomData(3 * 1024 * 1024 + 12345, 1);
        var id = Guid.NewGuid();
        var written = await new TapeBackupWriter(lib).WriteAsync(Management(id), new MemoryStream(data));
        var second = await new TapeBackupWriter(lib).WriteAsync(Management(Guid.NewGuid()), new MemoryStream(RandomData(5000, 2)));
        Assert.Equal(new TapeFileLocation("SC0001", 1), written.Location);
        Assert.Equal(new TapeFileLocation("SC0001", 4), second.Location);

        var output = new MemoryStream();
        var (mgmt, read) = await new TapeBackupReader(lib).CopyDataToAsync(written.Location, output);
        Assert.Equal(data, output.ToArray());
        Assert.Equal(written.Crc32C, read.Crc32C);
        Assert.Equal(id, mgmt.DecodeVolumeInformation().BackupId);
        Assert.Equal(7, (int)mgmt.CatalogRows[0]["volume"]!);

        using var drive = lib.Mount("SC0001", writable: false);
        var info = CartridgeScanner.Scan(drive);
        Assert.Equal(["MGMT", "DATA", "TRLR", "MGMT", "DATA", "TRLR"], info.Files.Select(f => f.FileIdentifier[^4..]));
        Assert.Equal(Enumerable.Range(1, 6), info.Files.Select(f => f.FileSequence));
        Assert.Equal((data.Length + TapeBackupWriter.DataBlockLength - 1) / TapeBackupWriter.DataBlockLength, info.Files[1].DataBlocks);
    }

    [Fact]
    public async Task A_backup_larger_than_the_cartridge_continues_on_the_next_one()
    {
        using var dir = new TempDir("tape");
        var lib = new DirectoryCartridgeLibrary(dir.Path, 2L << 20);
        var first = await new TapeBackupWriter(lib).WriteAsync(Management(Guid.NewGuid()), new MemoryStream(RandomData(1_500_000, 3)));
        var data = RandomData(1_800_000, 4);
        var big = await new TapeBackupWriter(lib).WriteAsync(Management(Guid.NewGuid()), new MemoryStream(data));
        Assert.Equal(["SC0001", "SC0002"], big.Volumes);
        Assert.Equal(new TapeFileLocation("SC0001", 4), big.Location);

        var output = new MemoryStream();
        var (_, read) = await new TapeBackupReader(lib).CopyDataToAsync(big.Location, output);
        Assert.Equal(data, output.ToArray());
        Assert.Equal(["SC0001", "SC0002"], read.Volumes);

        using (var d1 = lib.Mount("SC0001", false))
        {
            var c1 = CartridgeScanner.Scan(d1);
            Assert.True(c1.IsClosed);
            Assert.True(c1.RemainingBytes < CartridgeWriter.TrailerReserveBytes + TapeBackupWriter.DataBlockLength);
        }
        using var d2 = lib.Mount("SC0002", false);
        var c2 = CartridgeScanner.Scan(d2);
        Assert.Equal((5, 2, "SC0001"), (c2.Files[0].FileSequence, c2.Files[0].FileSection, c2.Files[0].FileSetIdentifier));
        Assert.True(c2.Files[0].Header2.ContinuedFromPreviousVolume);
        Assert.Equal(6, c2.Files[^1].FileSequence);

        var again = new MemoryStream();
        await new TapeBackupReader(lib).CopyDataToAsync(first.Location, again);
        Assert.Equal(RandomData(1_500_000, 3), again.ToArray());
    }

    [Fact]
    public async Task Flipped_byte_and_truncation_give_clear_errors_and_spare_other_cartridges()
    {
        using var dir = new TempDir("tape");
        var lib = new DirectoryCartridgeLibrary(dir.Path, 1L << 20);
        var a = await new TapeBackupWriter(lib).WriteAsync(Management(Guid.NewGuid()), new MemoryStream(RandomData(600_000, 5)));
        var b = await new TapeBackupWriter(lib).WriteAsync(Management(Guid.NewGuid()), new MemoryStream(RandomData(700_000, 6)));
        Assert.Equal(["SC0001"], a.Volumes);
        Assert.Contains("SC0002", b.Volumes);

        // Flip one byte in the middle of A's data (past VOL1, the MGMT file and the data's first header).
        string pathA = lib.PathOf("SC0001");
        var bytes = File.ReadAllBytes(pathA);
        bytes[300_000] ^= 0x01;
        File.WriteAllBytes(pathA, bytes);
        var e = await Assert.ThrowsAsync<TapeFormatException>(() => new TapeBackupReader(lib).CopyDataToAsync(a.Location, Stream.Null));
        Assert.Equal("digest.mismatch", e.Code);   // the content digest is checked before the CRC-32C (issue 13)

        // Truncate SC0002: B, which continues there, reports a truncated cartridge.
        string pathB2 = lib.PathOf("SC0002");
        using (var f = new FileStream(pathB2, FileMode.Open)) f.SetLength(f.Length - 1000);
        var t = await Assert.ThrowsAsync<TapeFormatException>(() => new TapeBackupReader(lib).CopyDataToAsync(b.Location, Stream.Null));
        Assert.Contains(t.Code, new[] { "tape.truncated", "tape.unterminated" });
        using (var d = lib.Mount("SC0002", false))
            Assert.Throws<TapeFormatException>(() => CartridgeScanner.Scan(d));

        // A third backup on a fresh library cartridge is untouched by both.
        var c = await new TapeBackupWriter(new DirectoryCartridgeLibrary(dir.Combine("other"), 1L << 20)).WriteAsync(Management(Guid.NewGuid()), new MemoryStream(RandomData(1000, 7)));
        var outC = new MemoryStream();
        await new TapeBackupReader(new DirectoryCartridgeLibrary(dir.Combine("other"), 1L << 20)).CopyDataToAsync(c.Location, outC);
        Assert.Equal(RandomData(1000, 7), outC.ToArray());
    }
}
