using Microsoft.Extensions.Logging;
using Snapcat.Agent.Config;
using Snapcat.Core.Storage;
using Snapcat.ControlApi.Hosting;

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

    public static Task<int> RunAsync(string configPath, CancellationToken ct) =>
        DaemonRunner.RunAsync("agent", () => AgentConfigLoader.Load(configPath), c => $"agent {c.HostName}", StartAsync, ct, c => c.Logging);

    private static async Task<string> StartAsync(AgentConfig config, DaemonLifetime lifetime)
    {
        var loggerFactory = lifetime.Logs;
        var log = loggerFactory.CreateLogger("snapcat.agent");
        DurableFile.CreateDirectory(config.StateDirectory);  // 0700: pending thaws name hooks and volumes
        var runtime = new AgentRuntime(config, new Hooks.HookRunner(config, loggerFactory.CreateLogger<Hooks.HookRunner>()));
        // Stopped after the API: running jobs are cancelled and their postprocesses run before the runtime goes.
        lifetime.OnStop(async () =>
        {
            await CancelRunningJobsAsync(runtime.Jobs, log).ConfigureAwait(false);
            runtime.Dispose();
        });

        // The postprocesses a dead predecessor owed. Their mount points are closed to new hook-running
        // orders first (FreezeScope answers hooks.recovery_running), then the API is served at once and
        // each owed postprocess runs as a job of its own, listed with its output by GET /v1/jobs
        // (issue 9.3): a thaw that takes minutes must not keep the whole agent unreachable.
        var owed = runtime.Journal.BeginRecovery(new LogSink((level, message) => Log(log, level, message)));

        var api = AgentApiHost.Build(runtime, loggerFactory);
        await lifetime.StartAsync(api).ConfigureAwait(false);
        var recoveries = PendingPostprocessJobs.Start(runtime, owed, (level, message) => Log(log, level, message));
        if (owed.Count > 0) LogPendingStarted(log, owed.Count, string.Join(", ", recoveries));

        string control = ControlApiApp.Addresses(api).FirstOrDefault() ?? $"http://{config.Control.Listen}";
        return $"snapcat agent {config.HostName} ready: control {control}, {config.PortCorrespondence.Count} protected volume(s), {owed.Count} pending postprocess(es) running as jobs";
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
        if (await Task.WhenAny(all, Task.Delay(StopGrace)).ConfigureAwait(false) != all) LogJobsStillRunning(log, StopGrace.TotalSeconds);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "cancelling {Count} running job(s); their postprocesses run before the agent stops")]
    private static partial void LogCancelling(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "jobs still running after {Seconds} s; the pending-thaw journal runs their postprocesses at the next start")]
    private static partial void LogJobsStillRunning(ILogger logger, double seconds);
}
