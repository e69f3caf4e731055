namespace Snapcat.Core.Jobs;

/// <summary>Life cycle of a job. Values are persisted by the server's job history; never renumber.</summary>
public enum JobState
{
    Queued = 0,
    Running = 1,
    Succeeded = 2,
    Failed = 3,
    Cancelled = 4,
    /// <summary>The daemon stopped (crashed) while the job ran; set from the persisted record at the next start.</summary>
    Interrupted = 5,
}

public static class JobStateExtensions
{
    public static bool IsFinal(this JobState state) => state is JobState.Succeeded or JobState.Failed or JobState.Cancelled or JobState.Interrupted;
}
