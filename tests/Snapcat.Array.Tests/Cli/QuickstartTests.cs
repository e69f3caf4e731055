using System.Text.RegularExpressions;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Cli;

public partial class QuickstartTests
{
    // Whether every step succeeds depends on the array daemon and the NBD server; what must hold in
    // every case is that quickstart ends by itself, says what it did, and leaves nothing behind.
    [Fact]
    public async Task Quickstart_finishes_quickly_and_leaves_no_process_or_directory_behind()
    {
        var r = await SnapcatBinary.RunAsync(["quickstart"], TimeSpan.FromSeconds(90));
        var m = TempDirLine().Match(r.Stdout);
        Assert.True(m.Success, "quickstart did not name its directory:\n" + r.Stdout + r.Stderr);
        string dir = m.Groups[1].Value.Trim();

        Assert.False(Directory.Exists(dir), $"{dir} was left behind");
        Assert.Empty(ProcessesMentioning(dir));
        Assert.Contains("[1/", r.Stdout);
        if (r.ExitCode == 0)
        {
            Assert.Contains("quickstart finished", r.Stdout);
            Assert.Contains("device-id=QUICKSTART-", r.Stdout);
        }
        else
        {
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("✗", r.Stdout);          // the failed step is marked
            Assert.StartsWith("error: ", r.Stderr);  // and the reason given with its code
        }
    }

    private static List<string> ProcessesMentioning(string text)
    {
        var found = new List<string>();
        foreach (var p in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(p), out _)) continue;
            try
            {
                string cmd = File.ReadAllText(Path.Combine(p, "cmdline")).Replace('\0', ' ');
                if (cmd.Contains(text, StringComparison.Ordinal)) found.Add(cmd);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    [GeneratedRegex(@"snapcat quickstart in (\S+)")]
    private static partial Regex TempDirLine();
}
