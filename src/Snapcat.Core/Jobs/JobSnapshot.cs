namespace Snapcat.Core.Jobs;

/// <summary>
/// What every control API returns for a job (array copies, agent backups, server runs): id, state,
/// progress and log. Immutable, so it can be serialized while the job goes on.
/// </summary>
public sealed record JobSnapshot(
    string Id,
    string Kind,
    string Description,
    JobState State,
    long BytesDone,
    long BytesTotal,
    DateTimeOffset Created,
    DateTimeOffset? Finished,
    string? ErrorCode,
    string? ErrorMessage,
    IReadOnlyList<JobLogEntry> Log,
    System.Text.Json.Nodes.JsonNode? Result)
{
    /// <summary>Bytes per second: over the last few seconds while running, the average over the whole run once finished; null before any progress.</summary>
    public double? BytesPerSecond { get; init; }

    /// <summary>Seconds left at <see cref="BytesPerSecond"/>; null when unknown (no total, no rate) or finished.</summary>
    public double? EtaSeconds { get; init; }
}

public sealed record JobLogEntry(DateTimeOffset Time, string Level, string Message);
