using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;

namespace Snapcat.Cli.Quickstart;

// Real data on the primary. With e2fsprogs and nbdcopy: an ext4 file system made by `mke2fs -d` from
// a small directory tree, copied onto the primary over NBD; the "file" the tour changes and restores is
// /etc/app.conf, read back with `debugfs -R 'cat …'` from an image nbdcopy reads out of the volume.
// Without them: plain text blocks written with Snapcat's own NBD client, the "file" being block 0.
public static partial class QuickstartSteps
{
    public const string AppConf = "etc/app.conf";
    private const string GoodConf = "threads=8\nbackup=snapcat\n";
    private const string BrokenConf = "threads=1 # changed by mistake\n";
    private const int PlainBlock = 4096;

    private static string ImagePath(QuickstartContext c, string name) => c.Path(name + ".img");

    private static async Task WriteFileSystemAsync(QuickstartContext c, CancellationToken ct)
    {
        string? mke2fs = ExternalTool.Find("mke2fs"), nbdcopy = ExternalTool.Find("nbdcopy"), debugfs = ExternalTool.Find("debugfs");
        if (mke2fs is null || nbdcopy is null || debugfs is null)
        {
            c.Ext4 = false;
            c.Note($"{(mke2fs is null || debugfs is null ? "mke2fs/debugfs (e2fsprogs)" : "nbdcopy (libnbd-bin)")} is not installed: writing plain data with the NBD client instead of a file system");
            await WritePlainAsync(c, GoodConf, fill: true, ct).ConfigureAwait(false);
            c.Note($"wrote {VolumeSize} of text blocks to {c.NbdUri(QuickstartContext.PrimaryLun)}; block 0 holds \"{GoodConf.Split('\n')[0]}\"");
            return;
        }
        c.Ext4 = true;
        string content = c.Path("content");
        Directory.CreateDirectory(System.IO.Path.Combine(content, "etc"));
        Directory.CreateDirectory(System.IO.Path.Combine(content, "data"));
        await File.WriteAllTextAsync(Path.Combine(content, "etc", "motd"), "Welcome to a volume protected by Snapcat.\n", ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(content, AppConf), GoodConf, ct).ConfigureAwait(false);
        await File.WriteAllBytesAsync(Path.Combine(content, "data", "table.bin"), RandomNumberGenerator.GetBytes(1 << 20), ct).ConfigureAwait(false);
        await ExternalTool.RunCheckedAsync(mke2fs, ["-q", "-F", "-t", "ext4", "-L", "quickstart", "-d", content, ImagePath(c, "original"), VolumeSize],
            TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        await ExternalTool.RunCheckedAsync(nbdcopy, [ImagePath(c, "original"), c.NbdUri(QuickstartContext.PrimaryLun)], TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        c.Note($"mke2fs -t ext4 -d content original.img {VolumeSize}: /etc/motd, /{AppConf}, /data/table.bin (1 MiB)");
        c.Note($"nbdcopy original.img {c.NbdUri(QuickstartContext.PrimaryLun)}");
        c.Note($"/{AppConf} on the primary: {OneLine(await ReadAppConfAsync(c, ct).ConfigureAwait(false))}");
    }

    private static async Task ChangeFileAsync(QuickstartContext c, CancellationToken ct)
    {
        if (c.Ext4)
        {
            // Mounting needs root; a second image with the changed file, copied over the primary,
            // is what the volume would hold after a host wrote the change.
            string content = c.Path("content");
            await File.WriteAllTextAsync(Path.Combine(content, AppConf), BrokenConf, ct).ConfigureAwait(false);
            File.Delete(System.IO.Path.Combine(content, "data", "table.bin"));
            await ExternalTool.RunCheckedAsync(ExternalTool.Find("mke2fs")!, ["-q", "-F", "-t", "ext4", "-L", "quickstart", "-d", content, ImagePath(c, "changed"), VolumeSize],
                TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            await ExternalTool.RunCheckedAsync(ExternalTool.Find("nbdcopy")!, [ImagePath(c, "changed"), c.NbdUri(QuickstartContext.PrimaryLun)], TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            c.Note($"/{AppConf} overwritten and /data/table.bin deleted on the primary");
        }
        else
        {
            await WritePlainAsync(c, BrokenConf, fill: false, ct).ConfigureAwait(false);
            c.Note("block 0 of the primary overwritten");
        }
        string now = await ReadAppConfAsync(c, ct).ConfigureAwait(false);
        if (now != BrokenConf)
            Throw.Internal("quickstart.change", $"the primary does not show the change just written: {OneLine(now)}");
        c.Note($"{(c.Ext4 ? "/" + AppConf : "block 0")} on the primary now: {OneLine(now)}");
    }

    /// <summary>The contents of etc/app.conf as the primary holds it now (block 0's text without a file system).</summary>
    private static async Task<string> ReadAppConfAsync(QuickstartContext c, CancellationToken ct)
    {
        if (!c.Ext4)
        {
            var nbd = await NbdClient.ConnectAsync(NbdAddress.Parse(c.DataPort), Lun(QuickstartContext.PrimaryLun), c.NbdOptions, ct).ConfigureAwait(false);
            await using var nbdLifetime = nbd.ConfigureAwait(false);
            var block = new byte[PlainBlock];
            await nbd.ReadAsync(0, block, ct).ConfigureAwait(false);
            int end = block.AsSpan().IndexOf((byte)0);
            return Encoding.UTF8.GetString(block, 0, end < 0 ? block.Length : end);
        }
        string readback = ImagePath(c, "readback");
        await ExternalTool.RunCheckedAsync(ExternalTool.Find("nbdcopy")!, [c.NbdUri(QuickstartContext.PrimaryLun), readback], TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        var r = await ExternalTool.RunAsync(ExternalTool.Find("debugfs")!, ["-R", "cat /" + AppConf, readback], TimeSpan.FromSeconds(20), ct).ConfigureAwait(false);
        File.Delete(readback);
        if (r.ExitCode != 0)
            Throw.Remote("quickstart.debugfs", $"debugfs could not read /{AppConf} from the primary's image: {r.Stderr.Trim()}");
        return r.Stdout;
    }

    private static async Task WritePlainAsync(QuickstartContext c, string firstBlockText, bool fill, CancellationToken ct)
    {
        var nbd = await NbdClient.ConnectAsync(NbdAddress.Parse(c.DataPort), Lun(QuickstartContext.PrimaryLun), c.NbdOptions, ct).ConfigureAwait(false);
        await using var nbdLifetime = nbd.ConfigureAwait(false);
        var block = new byte[PlainBlock];
        Encoding.UTF8.GetBytes(firstBlockText, block);
        await nbd.WriteAsync(0, block, ct: ct).ConfigureAwait(false);
        if (fill)
        {
            var piece = new byte[1 << 20];
            for (int i = 0; i < piece.Length / PlainBlock; i++)
                Encoding.ASCII.GetBytes($"snapcat quickstart block {i:D6}\n", piece.AsSpan(i * PlainBlock));
            for (long off = 1 << 20; off < nbd.Size; off += piece.Length)
                await nbd.WriteAsync(off, piece.AsMemory(0, (int)Math.Min(piece.Length, nbd.Size - off)), ct: ct).ConfigureAwait(false);
        }
        await nbd.FlushAsync(ct).ConfigureAwait(false);
    }

    private static string Lun(uint lun) => lun.ToString(CultureInfo.InvariantCulture);

    private static string OneLine(string text) => "\"" + text.TrimEnd('\n').Replace("\n", "\\n") + "\"";
}
