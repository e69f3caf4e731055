using Snapcat.Agent.Config;
using Snapcat.Agent.Hooks;
using Snapcat.Agent.Processes;
using Snapcat.TestKit;
using Snapcat.Contracts.Agent;

namespace Snapcat.Agent.Tests;

/// <summary>Hooks start as leaders of their own process group (issue 9.2), and /proc/PID/stat is read right.</summary>
public sealed class HookProcessGroupTests : IDisposable
{
    private readonly TempDir _dir = new("hookgroup");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Stat_fields_are_counted_from_the_last_parenthesis()
    {
        // comm may hold spaces and ')' (proc(5)); fields 3, 5 and 22 follow the last ')'.
        string line = "4242 (evil) S 1 (x) R 1 777 777 0 -1 4194560 10 0 0 0 0 0 0 0 20 0 1 0 98765 1000 10 18446744073709551615";
        var s = ProcessStat.Parse(4242, line);
        Assert.NotNull(s);
        Assert.Equal('R', s.Value.State);
        Assert.Equal(777, s.Value.Pgid);
        Assert.Equal(98765, s.Value.StartTicks);
        Assert.Null(ProcessStat.Parse(1, "garbage"));
        Assert.Null(ProcessStat.Parse(1, "1 (x) S 1"));
    }

    [Fact]
    public async Task A_hook_is_the_leader_of_its_own_process_group_and_the_caller_learns_its_pid_before_it_ends()
    {
        string seen = _dir.Combine("seen");
        var runner = new HookRunner(new Dictionary<string, HookConfig>
        {
            ["who"] = new() { Command = "/bin/sh", Args = ["-c", $"echo \"$$ $(ps -o pgid= -p $$ | tr -d ' ') $(ps -o sid= -p $$ | tr -d ' ')\" > '{seen}'"], TimeoutSeconds = 30 },
        }, false);
        int started = 0;
        await runner.RunAsync(HookRef.Named("who"), new HookInvocation(HookPhase.Pre, "j"), new LogList().Sink, default, pid => started = pid);

        var parts = File.ReadAllText(seen).Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(started.ToString(System.Globalization.CultureInfo.InvariantCulture), parts[0]);
        Assert.Equal(parts[0], parts[1]);  // process group ID = its own PID
        Assert.Equal(parts[0], parts[2]);  // and a session of its own
        Assert.NotEqual(Environment.ProcessId, started);
    }
}
