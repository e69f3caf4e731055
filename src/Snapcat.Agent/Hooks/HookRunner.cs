using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Snapcat.Agent.Config;
using Snapcat.Agent.Processes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Snapcat.Agent.Hooks;

/// <summary>
/// Runs configured hooks as real processes: the configured program with its arguments, no shell in
/// between (unless the configured program is a shell). The environment is the agent's, then the
/// hook's configured variables, then the SNAPCAT_* facts of the invocation — so a hook cannot be
/// told the wrong phase by its own configuration. Each output line goes to the job log (bounded per run, see
/// <see cref="HookOutputLimit"/>), and every run ends with a <see cref="HookJobLines.Run"/> line there and a line in the agent's log.
/// </summary>
public sealed partial class HookRunner(IReadOnlyDictionary<string, HookConfig> hooks, bool allowRawCommands, ILogger? logger = null) : IHookRunner
{
    /// <summary>Raw command text (only when allowed) runs with this timeout; it has no configuration of its own.</summary>
    public static readonly TimeSpan RawCommandTimeout = TimeSpan.FromMinutes(5);

    private readonly ILogger _log = logger ?? NullLogger.Instance;

    public HookRunner(AgentConfig config, ILogger? logger = null) : this(config.Hooks, config.AllowRawCommands, logger) { }

    public void EnsureAllowed(HookRef hook) => Resolve(hook);

    public async Task RunAsync(HookRef hook, HookInvocation invocation, LogSink log, CancellationToken ct, Action<int>? onStarted = null)
    {
        var spec = Resolve(hook) with { OwnProcessGroup = true };
        string phase = invocation.Phase == HookPhase.Pre ? "preprocess" : "postprocess";
        string tag = hook.Name ?? "raw";
        long began = Stopwatch.GetTimestamp();
        // Every end of the run leaves one "hook run:" line in the job log (the server reads it back) and one agent log line.
        void Ended(string outcome, int? exitCode)
        {
            var run = new HookRun(phase, tag, invocation.MountPoint, outcome, exitCode, Stopwatch.GetElapsedTime(began).TotalSeconds);
            log.Info(HookJobLines.Run(run));
            if (outcome == "succeeded") LogHookSucceeded(tag, phase, invocation.JobId, invocation.MountPoint ?? "-", run.Seconds);
            else LogHookFailed(tag, phase, invocation.JobId, invocation.MountPoint ?? "-", outcome, exitCode?.ToString(CultureInfo.InvariantCulture) ?? "-", run.Seconds);
        }

        log.Info($"{phase} {hook} starting: {spec}");
        LogHookStarting(tag, phase, invocation.JobId, invocation.MountPoint ?? "-", spec.ToString());
        // Started through setsid/setpriv, a missing program would only show as the wrapper's exit code.
        if (!File.Exists(spec.FileName))
        {
            Ended("not-started", null);
            throw new HookFailedException("hook.start_failed", hook, invocation.Phase, $"{phase} {hook} could not be started: {spec.FileName} does not exist");
        }

        var output = new HookOutputLimit((stream, line) =>
        {
            (stream == "stderr" ? (Action<string>)log.Warn : log.Info)(HookJobLines.Output(tag, stream, line));
            LogHookOutput(tag, stream, line);
        });
        void Note(string text) => log.Warn(HookJobLines.Output(tag, "note", text));
        ProcessOutcome outcome;
        try
        {
            outcome = await ProcessRun.RunAsync(spec with { Environment = Merge(spec.Environment, invocation) }, output.Add, ct, onStarted).ConfigureAwait(false);
        }
        catch (Win32Exception ex)
        {
            output.Flush(Note);
            Ended("not-started", null);
            throw new HookFailedException("hook.start_failed", hook, invocation.Phase, $"{phase} {hook} could not be started ({spec.FileName}, through util-linux's setsid and setpriv): {ex.Message}", inner: ex);
        }
        catch (OperationCanceledException)
        {
            output.Flush(Note);
            log.Warn($"{phase} {hook} was killed (with its child processes) because the job was cancelled");
            Ended("cancelled", null);
            throw;
        }
        output.Flush(Note);

        string took = outcome.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        if (outcome.TimedOut)
        {
            string msg = $"{phase} {hook} ran longer than {spec.Timeout.TotalSeconds:0} s and was killed with its child processes";
            log.Error(msg);
            Ended("timed-out", null);
            throw new HookFailedException("hook.timeout", hook, invocation.Phase, msg);
        }
        if (outcome.ExitCode != 0)
        {
            string msg = $"{phase} {hook} failed with exit code {outcome.ExitCode} after {took} s";
            log.Error(msg);
            Ended("failed", outcome.ExitCode);
            throw new HookFailedException("hook.failed", hook, invocation.Phase, msg, outcome.ExitCode);
        }
        log.Info($"{phase} {hook} finished (exit 0, {took} s)");
        Ended("succeeded", 0);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "hook {Hook} ({Phase}) for job {JobId} on {MountPoint} starting: {Command}")]
    private partial void LogHookStarting(string hook, string phase, string jobId, string mountPoint, string command);

    [LoggerMessage(Level = LogLevel.Information, Message = "hook {Hook} ({Phase}) for job {JobId} on {MountPoint} succeeded: exit 0, {Seconds:0.0} s")]
    private partial void LogHookSucceeded(string hook, string phase, string jobId, string mountPoint, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "hook {Hook} ({Phase}) for job {JobId} on {MountPoint} {Outcome}: exit {ExitCode}, {Seconds:0.0} s")]
    private partial void LogHookFailed(string hook, string phase, string jobId, string mountPoint, string outcome, string exitCode, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "hook {Hook} {Stream}: {Line}")]
    private partial void LogHookOutput(string hook, string stream, string line);

    private ProcessRun.Spec Resolve(HookRef hook)
    {
        if (hook.Name is not null && hook.RawCommand is not null)
            Throw.Invalid("hook.ambiguous", "a hook is given either by name or as raw command text, not both");
        if (hook.Name is not null)
        {
            if (!hooks.TryGetValue(hook.Name, out var h))
                Throw.Forbidden("hook.not_configured", $"hook '{hook.Name}' is not configured on this agent; an agent runs only the hooks in its own configuration");
            return new ProcessRun.Spec(h.Command, h.Args) { Environment = h.Environment, Timeout = h.Timeout };
        }
        if (hook.RawCommand is not null)
        {
            if (!allowRawCommands)
                Throw.Forbidden("hook.raw_not_allowed", "raw command text is refused: this agent's configuration does not set allowRawCommands; configure a named hook instead");
            if (string.IsNullOrWhiteSpace(hook.RawCommand)) Throw.Invalid("hook.empty", "the raw command text is empty");
            return new ProcessRun.Spec("/bin/sh", ["-c", hook.RawCommand]) { Timeout = RawCommandTimeout };
        }
        Throw.Invalid("hook.empty", "a hook needs a name (or raw command text where allowed)");
        return null!;
    }

    private static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> configured, HookInvocation invocation)
    {
        var env = new Dictionary<string, string>(configured, StringComparer.Ordinal);
        foreach (var (k, v) in invocation.ToEnvironment()) env[k] = v;
        return env;
    }
}
