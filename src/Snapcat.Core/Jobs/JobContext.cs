namespace Snapcat.Core.Jobs;

/// <summary>What a job's work sees: its cancellation token, progress and log.</summary>
public sealed class JobContext(Job job)
{
    public string JobId => job.Id;
    public CancellationToken CancellationToken => job.CancellationToken;
    public void Info(string message) => job.AddLog("info", message);
    public void Warn(string message) => job.AddLog("warn", message);
    public void Error(string message) => job.AddLog("error", message);
    public void SetProgress(long done, long total) => job.SetProgress(done, total);
    public void AddProgress(long bytes) => job.AddProgress(bytes);
}
