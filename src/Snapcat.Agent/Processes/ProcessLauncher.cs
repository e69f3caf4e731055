using System.Collections.Concurrent;
using System.Diagnostics;

namespace Snapcat.Agent.Processes;

/// <summary>
/// Starts hook processes from one dedicated thread that lives as long as the agent process.
/// PR_SET_PDEATHSIG fires when the THREAD that forked the child ends (prctl(2)), not the process; a
/// hook forked from a thread-pool thread would be killed whenever the pool retires that thread. A
/// thread that never ends makes "the parent died" mean "the agent died".
/// </summary>
internal static class ProcessLauncher
{
    private static readonly BlockingCollection<Action> Queue = [];

    /// <summary>util-linux's setsid(1) and setpriv(1), by absolute path so that PATH decides nothing.</summary>
    public static string Setsid { get; } = Find("setsid");
    public static string Setpriv { get; } = Find("setpriv");

    static ProcessLauncher()
    {
        var thread = new Thread(() =>
        {
            foreach (var start in Queue.GetConsumingEnumerable()) start();
        })
        { IsBackground = true, Name = "snapcat-hook-launcher" };
        thread.Start();
    }

    public static Task StartAsync(Process p)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue.Add(() =>
        {
            try
            {
                p.Start();
                started.SetResult();
            }
            catch (Exception ex)
            {
                started.SetException(ex);
            }
        });
        return started.Task;
    }

    private static string Find(string tool)
    {
        foreach (string dir in new[] { "/usr/bin", "/bin", "/usr/sbin", "/sbin" })
        {
            string path = Path.Combine(dir, tool);
            if (File.Exists(path)) return path;
        }
        // Process.Start then fails with Win32Exception, which the hook runner reports as hook.start_failed.
        return $"/usr/bin/{tool}";
    }
}
