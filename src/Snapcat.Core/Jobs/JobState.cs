namespace Snapcat.Core.Jobs;

/// <summary>Life cycle of a job. Values are persisted by the server's job history; never renumber.</summary>
public enum JobState
{
    Queued = 0,
    Running = 1,
    Succeeded = 2,
    Failed = 3,
    Cancelled = 4,
}

public static class JobStateExtensions
{
    public static bool IsFinal(this JobState state) => state is JobState.Succeeded or JobState.Failed or JobState.Cancelled;
}
