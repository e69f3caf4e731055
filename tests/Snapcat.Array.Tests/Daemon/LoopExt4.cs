using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Daemon;

/// <summary>
/// A small real ext4 file system made by the test: mkfs.ext4 on a file, loop-mounted (needs root),
/// unmounted and removed on dispose. <see cref="FillAsync"/> writes a filler file until the kernel
/// answers ENOSPC, <see cref="FreeAsync"/> deletes it: a disk that is full and then is not.
/// </summary>
public sealed class LoopExt4 : IAsyncDisposable
{
    private readonly TempDir _dir = new("ext4");
    private bool _mounted;

    private LoopExt4() { }

    public string MountPoint => _dir.Combine("mnt");
    private string Image => _dir.Combine("fs.img");
    private string Filler => Path.Combine(MountPoint, "filler");

    public string Combine(string name) => Path.Combine(MountPoint, name);

    public static async Task<LoopExt4> CreateAsync(long size = 64L << 20)
    {
        if (Environment.UserName != "root")
            throw new InvalidOperationException("this test loop-mounts a small ext4 file system and must run as root (as CI and ./test.sh do)");
        var fs = new LoopExt4();
        try
        {
            await using (var f = File.Create(fs.Image)) f.SetLength(size);
            // -m 0: no blocks reserved for root (the daemons run as root here and would use them).
            (await Tool.RunAsync("mkfs.ext4", ["-q", "-F", "-m", "0", "-b", "4096", fs.Image])).EnsureSuccess("mkfs.ext4");
            Directory.CreateDirectory(fs.MountPoint);
            (await Tool.RunAsync("mount", ["-o", "loop", fs.Image, fs.MountPoint])).EnsureSuccess("mount -o loop");
            fs._mounted = true;
            return fs;
        }
        catch
        {
            await fs.DisposeAsync();
            throw;
        }
    }

    /// <summary>Writes the filler until ENOSPC, in ever smaller pieces, so not one block is left for anybody.</summary>
    public async Task FillAsync()
    {
        await using var f = new FileStream(Filler, FileMode.Append, FileAccess.Write, FileShare.None, 0);
        foreach (int piece in new[] { 1 << 20, 64 << 10, 4096, 512 })
        {
            var buf = new byte[piece];
            System.Array.Fill(buf, (byte)0x5a);
            try
            {
                while (true) await f.WriteAsync(buf);
            }
            catch (IOException ex) when (ex.HResult == 28)
            {
                // ENOSPC at this piece size: try a smaller one.
            }
        }
        try { f.Flush(true); }
        catch (IOException) { }
        (await Tool.RunAsync("sync", ["-f", Filler])).EnsureSuccess("sync");
    }

    public async Task FreeAsync()
    {
        File.Delete(Filler);
        (await Tool.RunAsync("sync", ["-f", MountPoint])).EnsureSuccess("sync");
    }

    public async ValueTask DisposeAsync()
    {
        if (_mounted)
        {
            var r = await Tool.RunAsync("umount", [MountPoint]);
            if (r.ExitCode != 0) await Tool.RunAsync("umount", ["-l", MountPoint]);  // still busy: detach lazily
            _mounted = false;
        }
        _dir.Dispose();
    }
}
