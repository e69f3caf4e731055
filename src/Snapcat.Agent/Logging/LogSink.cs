namespace Snapcat.Agent.Logging;

/// <summary>
/// Where the agent's flows write what they did: a job's log when a job runs them, a console or a test
/// list otherwise. Levels are "info", "warn", "error" as in <see cref="JobContext"/>.
/// </summary>
public sealed class LogSink(Action<string, string> write)
{
    public static LogSink Null { get; } = new((_, _) => { });

    public static LogSink ForJob(JobContext job) => new((level, message) =>
    {
        switch (level)
        {
            case "error": job.Error(message); break;
            case "warn": job.Warn(message); break;
            default: job.Info(message); break;
        }
    });

    public void Info(string message) => write("info", message);
    public void Warn(string message) => write("warn", message);
    public void Error(string message) => write("error", message);
}
