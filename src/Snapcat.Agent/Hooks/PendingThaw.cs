namespace Snapcat.Agent.Hooks;

/// <summary>
/// One entry of the pending-thaw journal: "the preprocess of job <see cref="JobId"/> may have run; its
/// postprocess has not run yet". Written before the preprocess starts, removed after the postprocess ran.
/// </summary>
public sealed record PendingThaw
{
    public required string Id { get; init; }
    public required string JobId { get; init; }
    public string? Operation { get; init; }
    public HookRef? Preprocess { get; init; }
    public required HookRef Postprocess { get; init; }
    public string? MountPoint { get; init; }
    public string? Label { get; init; }
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();
    public required DateTimeOffset RecordedAt { get; init; }
    public int AgentPid { get; init; }

    /// <summary>
    /// The process group of the hook last started for this entry (its preprocess, later its postprocess),
    /// recorded before the agent waits for it. A hook still running when the agent died is killed by
    /// this group before the owed postprocess runs, so a thaw never runs beside a freeze that is still
    /// under way (issue 9.2).
    /// </summary>
    public Processes.HookProcessGroup? HookGroup { get; init; }

    /// <summary>The environment the postprocess would have had if the agent had not stopped.</summary>
    public HookInvocation PostInvocation() => new(HookPhase.Post, JobId)
    {
        MountPoint = MountPoint,
        Label = Label,
        Operation = Operation,
        Extra = new Dictionary<string, string>(Extra) { ["SNAPCAT_RECOVERED"] = "1" },
    };
}
