using Snapcat.Tape.Backup;
using Snapcat.Tape.Cartridge;
using Snapcat.TestKit;

namespace Snapcat.Tape.Tests;

/// <summary>The Debian hercules 3.13 tools read Snapcat cartridges (specs/tape.md §e).</summary>
public class HerculesToolTests
{
    [Fact]
    public async Task Hetmap_and_tapemap_read_a_snapcat_cartridge()
    {
        if (!Tool.Exists("hetmap") || !Tool.Exists("tapemap"))
            Assert.Fail("hetmap/tapemap (package hercules) are required");
        using var dir = new TempDir("tape");
        var lib = new DirectoryCartridgeLibrary(dir.Path, 64L << 20);
        var id = Guid.Parse("0a1b2c3d-0000-0000-0000-000000000001");
        await new TapeBackupWriter(lib).WriteAsync(BackupTests.Management(id), new MemoryStream(BackupTests.RandomData(200_000, 9)));
        // hetmap opens the image read-write: give it a copy.
        string copy = dir.Combine("copy.aws");
        File.Copy(lib.PathOf("SC0001"), copy);

        var all = await Tool.RunAsync("hetmap", ["-a", copy]);
        Assert.Equal(0, all.ExitCode);
        Assert.DoesNotContain("het_read() returned", all.Stdout + all.Stderr);
        var d = await Tool.RunAsync("hetmap", ["-d", copy]);
        Assert.Contains("vol=SC0001             owner=SNAPCAT", d.Stdout);
        Assert.Contains("seq=3                  file#=8", d.Stdout);
        Assert.Contains("dsn=SC.0A1B2C3D.DATA", d.Stdout);
        Assert.Contains("blocks=4\njob=                   recfm=U         lrecl=0         blksize=61440", d.Stdout.Replace("\r", ""));

        var map = await Tool.RunAsync("tapemap", [copy]);
        Assert.Equal(0, map.ExitCode);
        // tapemap prints only EBCDIC labels, so for our ASCII cartridge it shows the file map:
        // file 1 = VOL1 HDR1 HDR2, file 2 = the management JSON, file 3 = EOF1 EOF2 + next HDR1 HDR2, …
        Assert.Contains("File 1: Blocks=3, block size min=80, max=80", map.Stdout);
        Assert.Contains("File 5: Blocks=4, block size min=15680, max=61440", map.Stdout);
        Assert.Contains("File 10: Blocks=0, block size min=0, max=0\nEnd of tape.", map.Stdout.Replace("\r", ""));
    }
}
