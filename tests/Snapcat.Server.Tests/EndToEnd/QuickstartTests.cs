using System.Text.RegularExpressions;
using Snapcat.Cli.Quickstart;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.EndToEnd;

/// <summary>
/// <c>snapcat quickstart</c> as a user runs it (the real executable): every step reported and
/// nothing left behind — no daemon it started (checked by the PIDs it printed and by any
/// process naming its directory) and no temporary directory; also when interrupted with Ctrl-C.
/// </summary>
public sealed partial class QuickstartTests
{
    [Fact]
    public async Task Quickstart_runs_every_step_and_leaves_no_process_or_directory()
    {
        // A bound against a hang, not a speed test: tests assert no timings.
        var r = await SnapcatBinary.RunAsync(["quickstart"], TimeSpan.FromSeconds(180));
        string dir = TempDir(r);

        Assert.True(r.ExitCode == 0, $"quickstart exited {r.ExitCode}:\n{r.Stdout}\n{r.Stderr}");
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
        // The Inquiry step reads the export over NBD TLS (PSK) with a real client, and nbdinfo says TLS was negotiated.
        Assert.Contains($"nbdinfo 'nbds://{QuickstartContext.TourIdentity}@127.0.0.1:", r.Stdout);
        Assert.Contains("protocol: newstyle-fixed with TLS", r.Stdout);

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
            // The rebuild restores the definitions from the state copy; nothing is defined again.
            Assert.Contains("definitions came back too", r.Stdout);
            Assert.Contains("state copy used: array ", r.Stdout);
            Assert.DoesNotContain("again: the rebuild restores backups", r.Stdout);

            await EveryNextStepRunsAsync(r.Stdout, dir);
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
        // A process started with SIGINT ignored (a test run sent to the background by a non-interactive shell)
        // passes that on to its children, and the runtime keeps an inherited SIG_IGN, as shells do. Then
        // SIGTERM, which takes the same path in the CLI, stands in for Ctrl-C.
        string signal = SignalIgnored(p.Pid, 2) ? "-TERM" : "-INT";
        (await Tool.RunAsync("kill", [signal, p.Pid.ToString()])).EnsureSuccess("kill " + signal);
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

    /// <summary>
    /// The closing next steps, run as printed against the kept directory: the three serve commands (started here,
    /// each until its ready line), then every client command, each of which must succeed.
    /// </summary>
    private static async Task EveryNextStepRunsAsync(string stdout, string dir)
    {
        var lines = stdout[stdout.IndexOf("To continue with the CLI:", StringComparison.Ordinal)..].Split('\n')
            .Select(l => l.Trim()).Where(l => l.StartsWith("snapcat ", StringComparison.Ordinal)).ToList();
        string serveLine = Assert.Single(lines, l => l.Contains(" serve ", StringComparison.Ordinal));
        var clients = lines.Where(l => l != serveLine).ToList();
        Assert.Contains($"snapcat backup run {QuickstartContext.SnapshotDefinition} --wait --config server.json", clients);
        // "cd DIR" comes first: a configuration named relatively is one of the kept directory.
        string[] Args(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(a => a.EndsWith(".json", StringComparison.Ordinal) ? Path.Combine(dir, a) : a).ToArray();
        var daemons = new List<ChildProcess>();
        try
        {
            foreach (string serve in serveLine.Split('&', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                daemons.Add(SnapcatBinary.Start(Args(serve)));
            foreach (var d in daemons)
            {
                await Poll.UntilAsync(() => d.Output.Contains("ready: control", StringComparison.Ordinal) || d.HasExited, TimeSpan.FromSeconds(60), "a daemon's ready line");
                Assert.False(d.HasExited, d.Output);
            }
            foreach (string command in clients)
            {
                var run = await SnapcatBinary.RunAsync(Args(command), TimeSpan.FromSeconds(90));
                Assert.True(run.ExitCode == 0, $"next step '{command}' exited {run.ExitCode}:\n{run.Stdout}\n{run.Stderr}");
            }
        }
        finally
        {
            foreach (var d in daemons) await d.DisposeAsync();
        }
    }

    /// <summary>Whether signal <paramref name="number"/> is ignored by process <paramref name="pid"/> (SigIgn in /proc/PID/status).</summary>
    private static bool SignalIgnored(int pid, int number)
    {
        string line = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        ulong mask = ulong.Parse(line["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        return (mask & (1UL << (number - 1))) != 0;
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
