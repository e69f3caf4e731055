using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Snapcat.Cli.Quickstart;

/// <summary>
/// A daemon started as a child process of this same executable (<c>snapcat array|agent|server serve</c>),
/// its output going to a log file. Stopped by PID: SIGTERM, then SIGKILL after a grace period; a
/// process-exit hook kills it too, so that an interrupted quickstart leaves nothing running.
/// </summary>
public sealed class DaemonChild : IAsyncDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly EventHandler _onExit;

    private DaemonChild(string name, Process process, string logPath)
    {
        Name = name;
        _process = process;
        Pid = process.Id;
        LogPath = logPath;
        _onExit = (_, _) => KillNow();
        AppDomain.CurrentDomain.ProcessExit += _onExit;
    }

    public string Name { get; }
    public int Pid { get; }
    public string LogPath { get; }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>snapcat {name} serve --config {configPath}</c>, e.g. name "array".</summary>
    public static DaemonChild Start(string name, string configPath, string logPath)
    {
        var (file, prefix) = SelfCommand();
        // Output is drained into the log file, so the child never blocks on a full pipe.
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in prefix) psi.ArgumentList.Add(a);
        foreach (var a in new[] { name, "serve", "--config", configPath }) psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new SnapcatException(ErrorKind.Internal, "quickstart.start", $"could not start {file}");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var sync = new object();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (sync) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (sync) log.WriteLine(e.Data); };
        process.Exited += (_, _) => { lock (sync) log.Dispose(); };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new DaemonChild(name, process, logPath);
    }

    /// <summary>The command that runs this executable again: the apphost itself, or <c>dotnet snapcat.dll</c>.</summary>
    private static (string File, string[] Prefix) SelfCommand()
    {
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "snapcat") return (self, []);
        string dll = typeof(DaemonChild).Assembly.Location;
        string dotnet = self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        return (dotnet, [dll]);
    }

    public string LogTail(int lines = 20)
    {
        try { return string.Join('\n', File.ReadLines(LogPath).TakeLast(lines)); }
        catch (IOException) { return ""; }
    }

    /// <summary>SIGTERM (the daemon shuts down cleanly), SIGKILL if it has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited) return;
        _ = Kill(_process.Id, SigTerm);
        using var cts = new CancellationTokenSource(grace);
        try { await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { KillNow(); }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        AppDomain.CurrentDomain.ProcessExit -= _onExit;
        _process.Dispose();
    }

    private void KillNow()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException) { }
        catch (SystemException) { }
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
