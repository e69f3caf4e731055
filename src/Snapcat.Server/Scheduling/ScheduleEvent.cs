namespace Snapcat.Server.Scheduling;

/// <summary>What the scheduler did about one definition at one moment; kept for the API and the log.</summary>
public sealed record ScheduleEvent(DateTimeOffset Time, string Definition, string What, string Detail);
