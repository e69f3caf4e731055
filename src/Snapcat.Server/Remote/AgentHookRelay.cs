using Microsoft.Extensions.Logging;

namespace Snapcat.Server.Remote;

/// <summary>
/// The hook lines of an agent's job (<see cref="HookJobLines"/>) copied into the server job that waits for it, so that
/// <c>snapcat job show</c> / <c>job log</c> and the job history show a hook's output and outcome, each line headed by the
/// hook's name as the agent wrote it (<c>[freeze stdout] …</c>, <c>hook run: preprocess freeze on /data: …</c>). Each
/// outcome is logged in the server's log too. Other agent lines stay in the agent's job (its progress is relayed).
/// </summary>
public sealed partial class AgentHookRelay(JobContext job, string host, ILogger log)
{
    public static AgentHookRelay For(ServerRuntime rt, JobContext job, string host)
    {
        ArgumentNullException.ThrowIfNull(rt);
        return new AgentHookRelay(job, host, rt.Logs.CreateLogger<AgentHookRelay>());
    }

    /// <summary>For <see cref="RemoteJobRelay.OnLogLine"/>: called once per agent job line, in order.</summary>
    public void OnLine(JobLogEntry line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (HookJobLines.TryParseRun(line.Message) is { } run)
        {
            Copy(line);
            if (run.Outcome == "succeeded") LogHookSucceeded(job.JobId, host, run.Hook, run.Phase, run.MountPoint ?? "-", run.Seconds);
            else LogHookFailed(job.JobId, host, run.Hook, run.Phase, run.MountPoint ?? "-", run.Outcome, run.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-", run.Seconds);
        }
        else if (HookJobLines.TryParseOutput(line.Message, out _, out _, out _))
            Copy(line);
    }

    /// <summary>A relay of an agent job's progress and hook lines into <paramref name="job"/>; <paramref name="also"/> sees every line after.</summary>
    public static RemoteJobRelay Relay(ServerRuntime rt, JobContext job, string host, Action<JobLogEntry>? also = null)
    {
        var hooks = For(rt, job, host);
        return new RemoteJobRelay(job) { OnLogLine = line => { hooks.OnLine(line); also?.Invoke(line); } };
    }

    private void Copy(JobLogEntry line)
    {
        switch (line.Level)
        {
            case "error": job.Error(line.Message); break;
            case "warn": job.Warn(line.Message); break;
            default: job.Info(line.Message); break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: agent {Host} ran hook {Hook} ({Phase}) on {MountPoint}: succeeded, exit 0, {Seconds:0.0} s")]
    private partial void LogHookSucceeded(string jobId, string host, string hook, string phase, string mountPoint, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: agent {Host} ran hook {Hook} ({Phase}) on {MountPoint}: {Outcome}, exit {ExitCode}, {Seconds:0.0} s")]
    private partial void LogHookFailed(string jobId, string host, string hook, string phase, string mountPoint, string outcome, string exitCode, double seconds);
}
