using System.Diagnostics;
using System.Text.RegularExpressions;
using Snapcat.Cli;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.EndToEnd;

/// <summary>
/// <c>snapcat quickstart</c> as a user runs it (the real executable): every step reported, under a
/// minute, and nothing left behind — no daemon it started (checked by the PIDs it printed and by any
/// process naming its directory) and no temporary directory; also when interrupted with Ctrl-C.
/// </summary>
public sealed partial class QuickstartTests
{
    [Fact]
    public async Task Quickstart_runs_every_step_within_a_minute_and_leaves_no_process_or_directory()
    {
        var clock = Stopwatch.StartNew();
        var r = await SnapcatBinary.RunAsync(["quickstart"], TimeSpan.FromSeconds(120));
        var elapsed = clock.Elapsed;
        string dir = TempDir(r);

        Assert.True(r.ExitCode == 0, $"quickstart exited {r.ExitCode}:\n{r.Stdout}\n{r.Stderr}");
        Assert.True(elapsed < TimeSpan.FromSeconds(60), $"quickstart took {elapsed.TotalSeconds:0.0} s");
        int count = QuickstartSteps.All.Count;
        for (int i = 0; i < count; i++)
        {
            var step = QuickstartSteps.All[i];
            // ✓ done, or - skipped with the reason (file restore without root or FUSE).
            Assert.Matches($"(✓|-) \\[{i + 1}/{count}\\] {Regex.Escape(step.Name)}", r.Stdout);
        }
        Assert.Contains("quickstart finished", r.Stdout);
        Assert.Contains("the same 2 rows came back", r.Stdout);
        Assert.Contains("the file is back", r.Stdout);
        Assert.Contains("freeze (pre) /srv/quickstart", r.Stdout);

        var pids = DaemonPids(r.Stdout);
        Assert.True(pids.Count >= 4, "expected the PIDs of the array, the agent and two servers in:\n" + r.Stdout);
        Assert.DoesNotContain(pids, Alive);
        Assert.Empty(ProcessesMentioning(dir));
        Assert.False(Directory.Exists(dir), $"{dir} was left behind");
    }

    [Fact]
    public async Task Quickstart_keep_leaves_the_directory_and_says_how_to_continue_but_no_process()
    {
        var r = await SnapcatBinary.RunAsync(["quickstart", "--keep"], TimeSpan.FromSeconds(120));
        string dir = TempDir(r);
        try
        {
            Assert.True(r.ExitCode == 0, $"quickstart --keep exited {r.ExitCode}:\n{r.Stdout}\n{r.Stderr}");
            foreach (string f in new[] { "array.json", "agent.json", "server.json", "catalog.db", "hooks.log", "server.log" })
                Assert.True(File.Exists(Path.Combine(dir, f)), $"{f} missing from the kept directory");
            Assert.Contains($"cd {dir}", r.Stdout);
            Assert.Contains("snapcat server serve --config server.json", r.Stdout);
            Assert.DoesNotContain(DaemonPids(r.Stdout), Alive);
            Assert.Empty(ProcessesMentioning(dir));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Ctrl_c_during_quickstart_stops_the_daemons_and_removes_the_directory()
    {
        await using var p = SnapcatBinary.Start("quickstart");
        // Interrupt once the daemons run and the first backup is under way.
        await Poll.UntilAsync(() => p.Output.Contains("[6/") || p.HasExited, TimeSpan.FromSeconds(60), "quickstart to reach step 6");
        Assert.False(p.HasExited, p.Output);
        (await Tool.RunAsync("kill", ["-INT", p.Pid.ToString()])).EnsureSuccess("kill -INT");
        int code = await p.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(130, code);
        string output = p.Output;
        string dir = TempDirLine().Match(output).Groups[1].Value.Trim();
        Assert.NotEmpty(dir);
        var pids = DaemonPids(output);
        Assert.True(pids.Count >= 3, "the daemons' PIDs were not printed:\n" + output);
        Assert.DoesNotContain(pids, Alive);
        Assert.Empty(ProcessesMentioning(dir));
        Assert.False(Directory.Exists(dir), $"{dir} was left behind");
    }

    private static string TempDir(Tool.Result r)
    {
        var m = TempDirLine().Match(r.Stdout);
        Assert.True(m.Success, "quickstart did not name its directory:\n" + r.Stdout + r.Stderr);
        return m.Groups[1].Value.Trim();
    }

    /// <summary>Every PID quickstart printed for a daemon it started ("(pid N").</summary>
    private static List<int> DaemonPids(string output) =>
        PidMention().Matches(output).Select(m => int.Parse(m.Groups[1].Value)).Distinct().ToList();

    /// <summary>Alive and still a snapcat process (a PID can be reused by an unrelated process).</summary>
    private static bool Alive(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains("snapcat", StringComparison.Ordinal); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
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

    [GeneratedRegex(@"\(pid (\d+)")]
    private static partial Regex PidMention();
}
