using Snapcat.Agent.Hooks;

namespace Snapcat.Agent.Hosting;

/// <summary>
/// The postprocesses a dead agent process owed, each run as a job of kind "pending-postprocess" so
/// that GET /v1/jobs shows it, its hook output and its outcome. They run one after another, oldest
/// first, in the order the journal lists them: two owed thaws of one application keep their order.
/// Every line also goes to the daemon's log.
/// </summary>
public static class PendingPostprocessJobs
{
    public const string Kind = "pending-postprocess";

    public static IReadOnlyList<string> Start(AgentRuntime runtime, IReadOnlyList<PendingThaw> owed, Action<string, string> daemonLog)
    {
        var ids = new List<string>();
        Task previous = Task.CompletedTask;
        foreach (var e in owed)
        {
            var before = previous;
            var job = runtime.Jobs.Start(Kind, $"postprocess {e.Postprocess} owed by job {e.JobId} ({e.Operation ?? "?"}, mount point {e.MountPoint ?? "-"})", async ctx =>
            {
                var jobLog = LogSink.ForJob(ctx);
                var log = new LogSink((level, message) =>
                {
                    daemonLog(level, message);
                    switch (level)
                    {
                        case "error": jobLog.Error(message); break;
                        case "warn": jobLog.Warn(message); break;
                        default: jobLog.Info(message); break;
                    }
                });
                // Not the job's token: a stopping agent waits for an owed thaw rather than skipping it.
                await before.ConfigureAwait(false);
                await runtime.Journal.RecoverAsync(e, runtime.Hooks, log).ConfigureAwait(false);
                return null;
            });
            ids.Add(job.Id);
            previous = job.Completion;
        }
        return ids;
    }
}
