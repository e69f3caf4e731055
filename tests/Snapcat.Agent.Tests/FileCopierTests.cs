using Snapcat.Agent.FileRestore;
using Snapcat.Core.Errors;
using Snapcat.TestKit;

namespace Snapcat.Agent.Tests;

public class FileCopierTests
{
    [Fact]
    public void Copies_directories_globs_and_links_keeping_mode_and_time()
    {
        using var dir = new TempDir("copy");
        string root = dir.Combine("backup");
        Directory.CreateDirectory(Path.Combine(root, "etc", "app"));
        File.WriteAllText(Path.Combine(root, "etc", "app", "a.conf"), "a");
        File.WriteAllText(Path.Combine(root, "etc", "app", "b.txt"), "bb");
        File.WriteAllText(Path.Combine(root, "secret.key"), "k");
        File.SetUnixFileMode(Path.Combine(root, "secret.key"), UnixFileMode.UserRead);
        var when = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(Path.Combine(root, "secret.key"), when);
        File.CreateSymbolicLink(Path.Combine(root, "current"), "/etc/passwd");
        string dest = dir.Combine("dest");

        var report = FileCopier.Copy(root, ["etc/**/*.conf", "/secret.key", "current", "missing.txt"], dest, new LogList().Sink, default);

        Assert.True(File.Exists(Path.Combine(dest, "etc", "app", "a.conf")));
        Assert.False(File.Exists(Path.Combine(dest, "etc", "app", "b.txt")));
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(Path.Combine(dest, "secret.key")));
        Assert.Equal(when, File.GetLastWriteTimeUtc(Path.Combine(dest, "secret.key")));
        Assert.Equal("/etc/passwd", new FileInfo(Path.Combine(dest, "current")).LinkTarget);
        Assert.Equal(["missing.txt"], report.NotMatched);
        Assert.Equal(3, report.Copied.Count);
        Assert.False(report.Complete);
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("etc/../../outside")]
    public void Paths_leaving_the_root_are_refused(string path)
    {
        using var dir = new TempDir("copy");
        Directory.CreateDirectory(dir.Combine("backup"));
        var ex = Assert.Throws<SnapcatException>(() => FileCopier.Copy(dir.Combine("backup"), [path], dir.Combine("dest"), new LogList().Sink, default));
        Assert.Equal("restore.path_escapes", ex.Code);
        Assert.False(Directory.Exists(dir.Combine("dest")));
    }

    [Fact]
    public void An_exact_path_through_a_link_is_refused()
    {
        using var dir = new TempDir("copy");
        string root = dir.Combine("backup");
        Directory.CreateDirectory(root);
        Directory.CreateSymbolicLink(Path.Combine(root, "etc"), "/etc");
        var ex = Assert.Throws<SnapcatException>(() => FileCopier.Copy(root, ["etc/hostname"], dir.Combine("dest"), new LogList().Sink, default));
        Assert.Equal("restore.path_escapes", ex.Code);
    }
}
