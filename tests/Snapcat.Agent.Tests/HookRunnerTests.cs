using Snapcat.Agent.Config;
using Snapcat.Agent.Hooks;
using Snapcat.Core.Errors;
using Snapcat.TestKit;
using Snapcat.Contracts.Agent;

namespace Snapcat.Agent.Tests;

public class HookRunnerTests
{
    private static HookConfig Sh(string script, int timeout = 30, Dictionary<string, string>? env = null) =>
        new() { Command = "/bin/sh", Args = ["-c", script], TimeoutSeconds = timeout, Environment = env ?? new() };

    [Fact]
    public async Task Hook_sees_snapcat_variables_and_its_own_environment_and_output_reaches_the_log()
    {
        using var dir = new TempDir("hook");
        string envFile = dir.Combine("env.txt");
        var runner = new HookRunner(new Dictionary<string, HookConfig>
        {
            // SNAPCAT_PHASE in the configured env must be overridden by the invocation's fact.
            ["freeze"] = Sh($"env > '{envFile}'; echo frozen; echo warned >&2", env: new() { ["APP"] = "db", ["SNAPCAT_PHASE"] = "wrong" }),
        }, allowRawCommands: false);
        var log = new LogList();
        await runner.RunAsync(HookRef.Named("freeze"), new HookInvocation(HookPhase.Pre, "job-7") { MountPoint = "/srv/data", Label = "nightly" }, log.Sink, default);

        var env = File.ReadAllLines(envFile);
        Assert.Contains("SNAPCAT_PHASE=pre", env);
        Assert.Contains("SNAPCAT_MOUNT_POINT=/srv/data", env);
        Assert.Contains("SNAPCAT_LABEL=nightly", env);
        Assert.Contains("SNAPCAT_JOB_ID=job-7", env);
        Assert.Contains("APP=db", env);
        Assert.Contains(log.Lines, l => l == "info: [freeze stdout] frozen");
        Assert.Contains(log.Lines, l => l == "warn: [freeze stderr] warned");
    }

    [Fact]
    public async Task Nonzero_exit_is_a_typed_error_with_the_code()
    {
        var runner = new HookRunner(new Dictionary<string, HookConfig> { ["bad"] = Sh("exit 3") }, false);
        var ex = await Assert.ThrowsAsync<HookFailedException>(() =>
            runner.RunAsync(HookRef.Named("bad"), new HookInvocation(HookPhase.Post, "j"), new LogList().Sink, default));
        Assert.Equal("hook.failed", ex.Code);
        Assert.Equal(3, ex.ExitCode);
    }

    [Fact]
    public async Task Timeout_kills_the_hook_and_its_child_processes()
    {
        using var dir = new TempDir("hook");
        string pids = dir.Combine("pids");
        // The shell starts sleep as a child and waits for it: a tree of two processes.
        var runner = new HookRunner(new Dictionary<string, HookConfig>
        {
            ["hang"] = Sh($"sleep 1000 & echo $$ $! > '{pids}'; wait", timeout: 1),
        }, false);
        var ex = await Assert.ThrowsAsync<HookFailedException>(() =>
            runner.RunAsync(HookRef.Named("hang"), new HookInvocation(HookPhase.Pre, "j"), new LogList().Sink, default));
        Assert.Equal("hook.timeout", ex.Code);
        int[] both = File.ReadAllText(pids).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        Assert.Equal(2, both.Length);
        foreach (int pid in both)
            await Poll.UntilAsync(() => !Alive(pid), TimeSpan.FromSeconds(10), $"process {pid} to be gone");
    }

    [Fact]
    public async Task A_hook_does_not_run_before_its_process_group_is_recorded()
    {
        // The pending-thaw journal records the hook's group in onStarted; a freeze that ran before that
        // record is durable would be invisible to the next agent start if the agent died in between.
        using var dir = new TempDir("hook");
        string marker = dir.Combine("ran");
        var runner = new HookRunner(new Dictionary<string, HookConfig> { ["freeze"] = Sh($"touch '{marker}'") }, false);
        bool ranBeforeRecorded = false;
        await runner.RunAsync(HookRef.Named("freeze"), new HookInvocation(HookPhase.Pre, "j"), new LogList().Sink, default,
            onStarted: _ =>
            {
                // Held here as a slow journal fsync would hold it: the hook must wait, not run.
                var until = DateTime.UtcNow + TimeSpan.FromSeconds(1.5);
                while (DateTime.UtcNow < until && !ranBeforeRecorded)
                {
                    ranBeforeRecorded = File.Exists(marker);
                    Thread.Sleep(20);
                }
            });
        Assert.False(ranBeforeRecorded, "the hook ran before onStarted returned");
        Assert.True(File.Exists(marker), "the hook ran once it was recorded");
    }

    [Fact]
    public async Task A_hook_whose_group_cannot_be_recorded_never_runs()
    {
        using var dir = new TempDir("hook");
        string marker = dir.Combine("ran");
        var runner = new HookRunner(new Dictionary<string, HookConfig> { ["freeze"] = Sh($"touch '{marker}'") }, false);
        await Assert.ThrowsAsync<IOException>(() => runner.RunAsync(HookRef.Named("freeze"), new HookInvocation(HookPhase.Pre, "j"),
            new LogList().Sink, default, onStarted: _ => throw new IOException("journal write failed")));
        // Bounded look for the wrong outcome: the gated shell would have had ample time to run touch.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task Unknown_hook_name_is_refused_without_running_anything()
    {
        var runner = new HookRunner(new Dictionary<string, HookConfig>(), false);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() =>
            runner.RunAsync(HookRef.Named("rm-everything"), new HookInvocation(HookPhase.Pre, "j"), new LogList().Sink, default));
        Assert.Equal(ErrorKind.Forbidden, ex.Kind);
        Assert.Equal("hook.not_configured", ex.Code);
    }

    [Fact]
    public async Task Raw_command_is_refused_unless_allowed()
    {
        using var dir = new TempDir("hook");
        string marker = dir.Combine("ran");
        var refusing = new HookRunner(new Dictionary<string, HookConfig>(), allowRawCommands: false);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() =>
            refusing.RunAsync(HookRef.Raw($"touch '{marker}'"), new HookInvocation(HookPhase.Pre, "j"), new LogList().Sink, default));
        Assert.Equal(ErrorKind.Forbidden, ex.Kind);
        Assert.Equal("hook.raw_not_allowed", ex.Code);
        Assert.False(File.Exists(marker));

        var allowing = new HookRunner(new Dictionary<string, HookConfig>(), allowRawCommands: true);
        await allowing.RunAsync(HookRef.Raw($"touch '{marker}'"), new HookInvocation(HookPhase.Pre, "j"), new LogList().Sink, default);
        Assert.True(File.Exists(marker));
    }

    [Fact]
    public async Task Missing_program_is_a_start_failure()
    {
        var runner = new HookRunner(new Dictionary<string, HookConfig> { ["gone"] = new() { Command = "/nonexistent/hook" } }, false);
        var ex = await Assert.ThrowsAsync<HookFailedException>(() =>
            runner.RunAsync(HookRef.Named("gone"), new HookInvocation(HookPhase.Pre, "j"), new LogList().Sink, default));
        Assert.Equal("hook.start_failed", ex.Code);
    }

    internal static bool Alive(int pid)
    {
        // A zombie still has a /proc entry; count it as gone (state Z).
        string stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return false;
        try
        {
            string s = File.ReadAllText(stat);
            return s[(s.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException) { return false; }
    }
}
