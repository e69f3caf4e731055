using Snapcat.Tape.Backup;
using Snapcat.Tape.Cartridge;
using Snapcat.TestKit;

namespace Snapcat.Tape.Tests;

/// <summary>
/// Torn and interrupted tails on real cartridge files (issues 9.4, 15.9): what a writer killed mid-write or cancelled
/// leaves is cut back to the last complete file; damage inside the recording is never cut.
/// </summary>
public class TailRepairTests
{
    private static async Task<(DirectoryCartridgeLibrary Lib, byte[] Data, TapeBackupResult First, byte[] Clean, byte[] Full)> TwoBackupsAsync(TempDir dir)
    {
        var lib = new DirectoryCartridgeLibrary(dir.Path, 64L << 20);
        var data = BackupTests.RandomData(300_000, 1);
        var first = await new TapeBackupWriter(lib).WriteAsync(BackupTests.Management(Guid.NewGuid()), new MemoryStream(data));
        byte[] clean = File.ReadAllBytes(lib.PathOf("SC0001"));
        await new TapeBackupWriter(lib).WriteAsync(BackupTests.Management(Guid.NewGuid()), new MemoryStream(BackupTests.RandomData(400_000, 2)));
        return (lib, data, first, clean, File.ReadAllBytes(lib.PathOf("SC0001")));
    }

    [Theory]
    [InlineData(7)]        // inside the tape mark that closes the TRLR's trailer group (unterminated TRLR)
    [InlineData(200)]      // inside its TRLR trailer labels
    [InlineData(150_000)]  // inside its DATA, mid-chunk (what a killed writer's 1 MiB write-behind leaves)
    [InlineData(399_000)]  // just after its MGMT file began
    public async Task A_torn_tail_is_cut_back_and_the_earlier_backup_stays_complete(int cutFromEnd)
    {
        using var dir = new TempDir("tape");
        var (lib, data, first, clean, image) = await TwoBackupsAsync(dir);
        string path = lib.PathOf("SC0001");
        File.WriteAllBytes(path, image[..^cutFromEnd]);
        using (var d = lib.Mount("SC0001", writable: false))
            Assert.ThrowsAny<TapeFormatException>(() => CartridgeScanner.Scan(d)); // torn: the label scan fails

        var cut = TapeTailRepair.Repair(lib, "SC0001");
        Assert.NotNull(cut);
        Assert.Equal(3, cut.KeptFiles);
        Assert.StartsWith("torn tail (tape.", cut.Reason);
        // Cut back to exactly what the cartridge was after the first backup: VOL1, its three files, TM TM.
        Assert.Equal(clean, File.ReadAllBytes(path));
        var ms = new MemoryStream();
        await new TapeBackupReader(lib).CopyDataToAsync(first.Location, ms);
        Assert.Equal(data, ms.ToArray());

        // Appending works again and continues the numbering; a second repair finds nothing to cut.
        var next = await new TapeBackupWriter(lib).WriteAsync(BackupTests.Management(Guid.NewGuid()), new MemoryStream(BackupTests.RandomData(5000, 3)));
        Assert.Equal(new TapeFileLocation("SC0001", 4), next.Location);
        Assert.Null(TapeTailRepair.Repair(lib, "SC0001"));
    }

    [Fact]
    public async Task A_tail_torn_only_in_its_final_tape_mark_keeps_every_backup()
    {
        using var dir = new TempDir("tape");
        var (lib, _, _, _, image) = await TwoBackupsAsync(dir);
        File.WriteAllBytes(lib.PathOf("SC0001"), image[..^1]);
        var cut = TapeTailRepair.Repair(lib, "SC0001");
        Assert.Equal(6, cut!.KeptFiles);
        Assert.Equal(image, File.ReadAllBytes(lib.PathOf("SC0001")));
    }

    [Fact]
    public async Task Hetmap_and_tapemap_read_a_cartridge_after_its_tail_was_cut()
    {
        if (!Tool.Exists("hetmap") || !Tool.Exists("tapemap"))
            Assert.Fail("hetmap/tapemap (package hercules) are required");
        using var dir = new TempDir("tape");
        var (lib, _, _, _, image) = await TwoBackupsAsync(dir);
        File.WriteAllBytes(lib.PathOf("SC0001"), image[..^150_000]);
        Assert.NotNull(TapeTailRepair.Repair(lib, "SC0001"));
        string copy = dir.Combine("copy.aws");
        File.Copy(lib.PathOf("SC0001"), copy);
        var d = await Tool.RunAsync("hetmap", ["-d", copy]);
        Assert.Equal(0, d.ExitCode);
        Assert.DoesNotContain("het_read() returned", d.Stdout + d.Stderr);
        Assert.Contains("vol=SC0001", d.Stdout);
        Assert.Contains(".TRLR", d.Stdout);
        var map = await Tool.RunAsync("tapemap", [copy]);
        Assert.Equal(0, map.ExitCode);
        Assert.Contains("End of tape.", map.Stdout);
    }

    [Fact]
    public async Task Damage_inside_the_recording_is_not_cut()
    {
        using var dir = new TempDir("tape");
        var (lib, data, _, _, image) = await TwoBackupsAsync(dir);
        string path = lib.PathOf("SC0001");
        // Break the chunk chain in the first backup's DATA (the prvblkl field of its second block), then tear the end too.
        var damaged = image[..^150_000];
        int header = damaged.AsSpan().IndexOf(data.AsSpan(61_440, 64)) - 6;
        damaged[header + 2] ^= 0x55;
        File.WriteAllBytes(path, damaged);
        Assert.Null(TapeTailRepair.Repair(lib, "SC0001"));
        Assert.Equal(damaged, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_cartridge_cut_off_while_it_was_labelled_is_labelled_again()
    {
        using var dir = new TempDir("tape");
        var lib = new DirectoryCartridgeLibrary(dir.Path, 64L << 20);
        using (lib.MountScratch(out _)) { }
        File.WriteAllBytes(lib.PathOf("SC0001"), new byte[] { 80, 0, 0, 0, 0xA0, 0, (byte)'V', (byte)'O' });
        var cut = TapeTailRepair.Repair(lib, "SC0001");
        Assert.NotNull(cut);
        using var d = lib.Mount("SC0001", writable: false);
        var info = CartridgeScanner.Scan(d);
        Assert.Equal(("SC0001", 0), (info.Volume.VolumeSerial, info.Files.Count));
    }

    [Fact]
    public async Task A_cancelled_write_takes_its_files_back_before_it_reports()
    {
        using var dir = new TempDir("tape");
        var lib = new DirectoryCartridgeLibrary(dir.Path, 1L << 20);
        await new TapeBackupWriter(lib).WriteAsync(BackupTests.Management(Guid.NewGuid()), new MemoryStream(BackupTests.RandomData(300_000, 1)));
        byte[] before = File.ReadAllBytes(lib.PathOf("SC0001"));

        // 1.5 MB through a source that is cancelled after 1.2 MB: the write crossed onto a new cartridge SC0002.
        using var cts = new CancellationTokenSource();
        var source = new CancellingStream(new MemoryStream(BackupTests.RandomData(1_500_000, 2)), 1_200_000, cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new TapeBackupWriter(lib).WriteAsync(BackupTests.Management(Guid.NewGuid()), source, cts.Token));

        Assert.Equal(before, File.ReadAllBytes(lib.PathOf("SC0001")));
        using (var d = lib.Mount("SC0002", writable: false))
            Assert.Empty(CartridgeScanner.Scan(d).Files);
        Assert.Null(TapeTailRepair.Repair(lib, "SC0001"));
    }

    /// <summary>Cancels its token once <paramref name="after"/> bytes were read, then honours it like a network stream.</summary>
    private sealed class CancellingStream(Stream inner, long after, CancellationTokenSource cts) : Stream
    {
        private long _read;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_read >= after) await cts.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
            int n = await inner.ReadAsync(buffer, cancellationToken);
            _read += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
