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
    System.Text.Json.Nodes.JsonNode? Result);

public sealed record JobLogEntry(DateTimeOffset Time, string Level, string Message);
