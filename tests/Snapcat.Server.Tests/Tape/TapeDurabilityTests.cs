using System.Text.Json;
using System.Text.RegularExpressions;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Tape;

/// <summary>
/// Issues 9.13 and 9.15 (tape part) with the real <c>snapcat</c> executable: cartridges and the library directory are
/// private (0600 / 0700), a copy goes to the first labelled cartridge with room, and an export fsyncs the copy and its
/// directory before it removes the source (seen with strace, in the order the kernel got the calls).
/// </summary>
public sealed partial class TapeDurabilityTests
{
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = PrivateFile | UnixFileMode.UserExecute;

    [Fact]
    public async Task Cartridges_are_private_copies_fill_the_first_labelled_cartridge_and_export_syncs_before_it_removes()
    {
        if (!Tool.Exists("strace")) Assert.Fail("strace is required");
        using var dir = new TempDir("tape-durable");
        string lib = dir.Combine("lib"), outDir = dir.Combine("out");
        string[] at = ["--library", lib, "--capacity", "64M"];

        var label = await SnapcatBinary.RunAsync(["tape", "label", "--count", "3", .. at]);
        Assert.True(label.ExitCode == 0, label.Stdout + label.Stderr);
        Assert.Equal(PrivateDirectory, File.GetUnixFileMode(lib));
        Assert.All(Directory.GetFiles(lib, "*.aws"), f => Assert.Equal(PrivateFile, File.GetUnixFileMode(f)));

        string data = dir.Combine("volume.img");
        File.WriteAllBytes(data, TapeFixture.RandomData(300_000, 5));
        var copy = await SnapcatBinary.RunAsync(["tape", "bench-copy", "--file", data, .. at]);
        Assert.True(copy.ExitCode == 0, copy.Stdout + copy.Stderr);
        Assert.Equal("SC0001/0001", JsonDocument.Parse(copy.Stdout).RootElement.GetProperty("mediaId").GetString());

        string log = dir.Combine("strace.log");
        var export = await Tool.RunAsync("strace", ["-f", "-y", "-e", "trace=fsync,fdatasync,rename,renameat,renameat2,unlink,unlinkat", "-o", log,
            "dotnet", SnapcatBinary.DllPath, "tape", "export", "SC0001", "--to", outDir, "--remove", .. at]);
        Assert.True(export.ExitCode == 0, export.Stdout + export.Stderr);
        string target = Path.Combine(outDir, "SC0001.aws"), source = Path.Combine(lib, "SC0001.aws");
        Assert.False(File.Exists(source));
        Assert.Equal(PrivateFile, File.GetUnixFileMode(target));
        Assert.Equal(PrivateDirectory, File.GetUnixFileMode(outDir));

        var calls = File.ReadAllLines(log).Where(l => !l.Contains("resumed>") && Call().IsMatch(l)).ToList();
        int Index(string what, Func<string, bool> match)
        {
            int i = calls.FindIndex(l => match(l));
            Assert.True(i >= 0, $"no {what} in the strace log:\n{string.Join("\n", calls)}");
            return i;
        }
        int dataSync = Index("fsync of the copy", l => l.Contains("sync(") && l.Contains($"<{target}.tmp>"));
        int rename = Index("rename into place", l => l.Contains("rename") && l.Contains($"\"{target}\""));
        int dirSync = Index("fsync of the export directory", l => l.Contains("sync(") && l.Contains($"<{outDir}>"));
        int unlink = Index("unlink of the source", l => l.Contains("unlink") && l.Contains($"\"{source}\""));
        int libSync = calls.FindLastIndex(l => l.Contains("sync(") && l.Contains($"<{lib}>"));
        Assert.True(dataSync < rename && rename < dirSync && dirSync < unlink && unlink < libSync,
            $"order: data fsync {dataSync}, rename {rename}, directory fsync {dirSync}, unlink {unlink}, library fsync {libSync}\n{string.Join("\n", calls)}");
    }

    [GeneratedRegex(@"\b(f(data)?sync|rename(at2?)?|unlink(at)?)\(")]
    private static partial Regex Call();
}
