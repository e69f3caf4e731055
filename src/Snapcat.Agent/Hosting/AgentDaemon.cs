using Snapcat.Array.Hosting;
using Microsoft.Extensions.Logging;
using Snapcat.Agent.Config;
using Snapcat.Agent.Logging;
using Snapcat.Core.Errors;
using Snapcat.Core.Storage;
using Snapcat.Core.Jobs;

namespace Snapcat.Agent.Hosting;

/// <summary>
/// Runs the agent: loads the configuration, starts the API, runs the postprocesses a previous agent
/// process owed (pending-thaw journal) as jobs, prints one ready line on stdout,
/// and runs until <c>ct</c> is cancelled or SIGTERM/SIGINT arrives. Logs go to stderr.
/// Exit codes: 0 clean stop, 2 bad configuration, 1 any other failure to start.
/// </summary>
public static partial class AgentDaemon
{
    /// <summary>How long a stopping agent waits for cancelled jobs to run their postprocesses.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(string configPath, CancellationToken ct)
    {
        AgentConfig config;
        try
        {
            config = AgentConfigLoader.Load(configPath);
        }
        catch (SnapcatException ex) when (ex.Kind == ErrorKind.Invalid)
        {
            await Console.Error.WriteLineAsync($"snapcat agent: {ex.Message}");
            return 2;
        }

        // Logs to stderr only (stdout carries just the ready line); SIGTERM/SIGINT cancel lifetime.Stop.
        using var lifetime = new DaemonLifetime(ct);
        var loggerFactory = lifetime.Logs;
        var log = loggerFactory.CreateLogger("snapcat.agent");

        AgentRuntime? runtime = null;
        Microsoft.AspNetCore.Builder.WebApplication? api = null;
        try
        {
            DurableFile.CreateDirectory(config.StateDirectory);  // 0700: pending thaws name hooks and volumes
            runtime = new AgentRuntime(config);

            // The postprocesses a dead predecessor owed. Their mount points are closed to new hook-running
            // orders first (FreezeScope answers hooks.recovery_running), then the API is served at once and
            // each owed postprocess runs as a job of its own, listed with its output by GET /v1/jobs
            // (issue 9.3): a thaw that takes minutes must not keep the whole agent unreachable.
            var owed = runtime.Journal.BeginRecovery(new LogSink((level, message) => Log(log, level, message)));

            api = AgentApiHost.Build(runtime, loggerFactory);
            await api.StartAsync(lifetime.Stop);
            var recoveries = PendingPostprocessJobs.Start(runtime, owed, (level, message) => Log(log, level, message));
            if (owed.Count > 0) LogPendingStarted(log, owed.Count, string.Join(", ", recoveries));

            string control = AgentApiHost.Addresses(api).FirstOrDefault() ?? $"http://{config.Control.Listen}";
            Console.Out.WriteLine($"snapcat agent {config.HostName} ready: control {control}, {config.PortCorrespondence.Count} protected volume(s), {owed.Count} pending postprocess(es) running as jobs");
            Console.Out.Flush();

            try { await Task.Delay(Timeout.Infinite, lifetime.Stop); }
            catch (OperationCanceledException) { }
            LogStopping(log, config.HostName);
            return 0;
        }
        catch (OperationCanceledException) when (lifetime.Stop.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception ex) when (ex is SnapcatException or IOException or System.Net.Sockets.SocketException or InvalidOperationException
            or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"snapcat agent {config.HostName}: cannot run: {ex.Message}");
            return 1;
        }
        finally
        {
            if (api is not null)
            {
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await api.StopAsync(grace.Token);
                await api.DisposeAsync();
            }
            if (runtime is not null)
            {
                await CancelRunningJobsAsync(runtime.Jobs, log);
                runtime.Dispose();
            }
        }
    }

    /// <summary>
    /// Cancels what still runs and waits (bounded) so that FreezeScope runs the postprocesses now rather
    /// than leaving them to the journal at the next start.
    /// </summary>
    private static async Task CancelRunningJobsAsync(JobRegistry jobs, ILogger log)
    {
        var running = jobs.List().Where(s => !s.State.IsFinal()).Select(s => jobs.Get(s.Id)).ToList();
        if (running.Count == 0) return;
        LogCancelling(log, running.Count);
        foreach (var j in running) j.Cancel();
        var all = Task.WhenAll(running.Select(j => j.Completion));
        if (await Task.WhenAny(all, Task.Delay(StopGrace)) != all) LogJobsStillRunning(log, StopGrace.TotalSeconds);
    }

    private static void Log(ILogger log, string level, string message)
    {
        switch (level)
        {
            case "error": LogError(log, message); break;
            case "warn": LogWarn(log, message); break;
            default: LogInfo(log, message); break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Message}")]
    private static partial void LogInfo(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Message}")]
    private static partial void LogWarn(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Message}")]
    private static partial void LogError(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} pending postprocess(es) owed by a previous agent process run as job(s) {Jobs}")]
    private static partial void LogPendingStarted(ILogger logger, int count, string jobs);

    [LoggerMessage(Level = LogLevel.Information, Message = "agent {Host} stopping")]
    private static partial void LogStopping(ILogger logger, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "cancelling {Count} running job(s); their postprocesses run before the agent stops")]
    private static partial void LogCancelling(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "jobs still running after {Seconds} s; the pending-thaw journal runs their postprocesses at the next start")]
    private static partial void LogJobsStillRunning(ILogger logger, double seconds);
}
