namespace Snapcat.Contracts.Server;

/// <summary>
/// <c>PATCH /v1/definitions/{name}</c>: the fields to change; a field left null stays as it is. An empty string
/// clears a text field that may be absent (<see cref="Schedule"/>: by hand only; <see cref="PreHook"/>,
/// <see cref="PostHook"/>: none). The result is checked like a new definition (hooks against the agent, schedule
/// against the server's minimum interval) before anything is stored. Host, mount point, kind and destination
/// array are what a definition is; to change them, create another.
/// </summary>
/// <param name="DestinationVolume">Mirror only: another secondary from the volume's copy-to list.</param>
/// <param name="Enabled">False: the scheduler stops firing it; true: it fires again from the next occurrence (the disabled time is not "missed").</param>
/// <param name="Retention">New retention rules (docs/retention.md), replacing the old ones as a whole; null: unchanged.</param>
public sealed record DefinitionPatch(
    string? Schedule = null, string? TimeZone = null, string? Label = null, string? PreHook = null, string? PostHook = null,
    bool? PreOnly = null, int? KeepGenerations = null, string? MissedRuns = null, uint? DestinationVolume = null, bool? Enabled = null,
    RetentionDto? Retention = null)
{
    public bool IsEmpty => this == new DefinitionPatch();
}
