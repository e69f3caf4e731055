using Snapcat.Agent.Attach;
using Snapcat.Agent.FileRestore;
using Snapcat.Core.Errors;
using Snapcat.Nbd;
using Snapcat.TestKit;

namespace Snapcat.Agent.Tests;

/// <summary>
/// Real parts: an ext4 image made by mke2fs -d, served by qemu-nbd (nbdkit quit on its own now and then on this shared machine), attached through nbdfuse and a
/// read-only loop mount. Needs root, /dev/fuse and the tools; otherwise the test says why it did nothing.
/// </summary>
public class NbdFuseAttacherTests
{
    private static string? WhyUnavailable()
    {
        if (Environment.UserName != "root") return "needs root for mount";
        if (!File.Exists("/dev/fuse")) return "needs /dev/fuse";
        foreach (string t in new[] { "qemu-nbd", "nbdinfo", "nbdfuse", "fusermount3", "mke2fs", "fsck.ext4", "mount", "umount" })
            if (!Tool.Exists(t)) return $"needs {t}";
        return null;
    }

    [Fact]
    public async Task Attach_mounts_read_only_files_can_be_copied_and_detach_leaves_nothing()
    {
        string? why = WhyUnavailable();
        if (why is not null) { Console.WriteLine($"SKIPPED attach test: {why}"); return; }

        using var dir = new TempDir("attach");
        string content = dir.Combine("content");
        Directory.CreateDirectory(Path.Combine(content, "docs"));
        File.WriteAllText(Path.Combine(content, "docs", "report.txt"), "quarterly numbers");
        File.WriteAllText(Path.Combine(content, "docs", "notes.md"), "not wanted");
        File.WriteAllText(Path.Combine(content, "run.sh"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(content, "run.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead);
        var mtime = new DateTime(2020, 5, 6, 7, 8, 9, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(Path.Combine(content, "docs", "report.txt"), mtime);

        string image = dir.Combine("volume.img");
        const long size = 32 * 1024 * 1024;
        await Tool.RunAsync("mke2fs", ["-q", "-F", "-t", "ext4", "-d", content, image, "32M"]).ContinueWith(t => t.Result.EnsureSuccess("mke2fs"), TaskScheduler.Default);

        int port = FreePort.Next();
        // qemu-nbd serves the image as export "7", like an array serving LUN 7; read-only, many clients.
        await using var server = ChildProcess.Start("qemu-nbd", ["-f", "raw", "-r", "--persistent", "-x", "7", "-b", "127.0.0.1", "-p", port.ToString(), image]);
        var address = new NbdAddress("127.0.0.1", port);
        await WaitServingAsync(server, address, "7");

        var attacher = new NbdFuseAttacher();
        var log = new LogList();
        var request = new AttachRequest(address, "7", dir.Combine("mnt"), dir.Combine("work"), size);
        VolumeAttachment attachment;
        try
        {
            attachment = await attacher.AttachAsync(request, log.Sink, default);
        }
        catch (SnapcatException ex)
        {
            throw new InvalidOperationException($"{ex.Message}\nserver (exited: {server.HasExited}): {server.Output}\nlog:\n{log}", ex);
        }
        int nbdfusePid = NbdFusePid(attachment);
        try
        {
            Assert.True(MountTable.IsMountPoint(request.MountDirectory), log.ToString());
            Assert.Equal("quarterly numbers", File.ReadAllText(Path.Combine(request.MountDirectory, "docs", "report.txt")));
            // Read-only: writing must fail.
            Assert.ThrowsAny<IOException>(() => File.WriteAllText(Path.Combine(request.MountDirectory, "new.txt"), "x"));

            string dest = dir.Combine("restored");
            var report = FileCopier.Copy(request.MountDirectory, ["docs/*.txt", "run.sh"], dest, log.Sink, default);
            Assert.True(report.Complete, string.Join("; ", report.Failed.Concat(report.NotMatched)));
            Assert.Equal("quarterly numbers", File.ReadAllText(Path.Combine(dest, "docs", "report.txt")));
            Assert.Equal(mtime, File.GetLastWriteTimeUtc(Path.Combine(dest, "docs", "report.txt")));
            Assert.False(File.Exists(Path.Combine(dest, "docs", "notes.md")));
            Assert.Equal(File.GetUnixFileMode(Path.Combine(content, "run.sh")), File.GetUnixFileMode(Path.Combine(dest, "run.sh")));
        }
        finally
        {
            await attachment.DetachAsync(log.Sink);
        }

        Assert.False(MountTable.IsMountPoint(request.MountDirectory));
        Assert.False(MountTable.IsMountPoint(Path.Combine(request.WorkDirectory, "fuse")));
        Assert.False(HookRunnerTests.Alive(nbdfusePid), $"nbdfuse {nbdfusePid} still runs");
        Assert.False(attachment.IsAttached);
    }

    [Fact]
    public async Task A_failed_attach_undoes_its_steps()
    {
        string? why = WhyUnavailable();
        if (why is not null) { Console.WriteLine($"SKIPPED attach test: {why}"); return; }

        using var dir = new TempDir("attach");
        string image = dir.Combine("blank.img");
        // Zeros, not a file system: nbdfuse attaches, the read-only check then fails.
        await using (var f = File.Create(image)) f.SetLength(16 * 1024 * 1024);
        int port = FreePort.Next();
        await using var server = ChildProcess.Start("qemu-nbd", ["-f", "raw", "-r", "--persistent", "-x", "0", "-b", "127.0.0.1", "-p", port.ToString(), image]);
        var address = new NbdAddress("127.0.0.1", port);
        await WaitServingAsync(server, address, "0");

        var log = new LogList();
        var request = new AttachRequest(address, "0", dir.Combine("mnt"), dir.Combine("work"), 16 * 1024 * 1024);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => new NbdFuseAttacher().AttachAsync(request, log.Sink, default));
        Assert.Equal("attach.fsck_failed", ex.Code);
        Assert.Contains(log.Lines, l => l.StartsWith("info: undone: nbdfuse"));
        Assert.False(MountTable.IsMountPoint(Path.Combine(request.WorkDirectory, "fuse")));
        Assert.False(MountTable.IsMountPoint(request.MountDirectory));
    }

    private static async Task WaitServingAsync(ChildProcess server, NbdAddress address, string export)
    {
        Tool.Result? last = null;
        try
        {
            await Poll.UntilAsync(async () => (last = await Tool.RunAsync("nbdinfo", ["--size", address.Uri(export)])).ExitCode == 0,
                TimeSpan.FromSeconds(20), "the NBD server to serve");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\nserver (exited: {server.HasExited}): {server.Output}\nnbdinfo: {last?.Stderr}", ex);
        }
    }

    private static int NbdFusePid(VolumeAttachment a)
    {
        string step = a.Steps[0];
        int at = step.IndexOf("(pid ", StringComparison.Ordinal) + 5;
        return int.Parse(step[at..step.IndexOf(')', at)]);
    }
}
