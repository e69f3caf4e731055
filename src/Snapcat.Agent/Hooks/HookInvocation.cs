namespace Snapcat.Agent.Hooks;

public enum HookPhase
{
    Pre,
    Post,
}

/// <summary>The facts a hook receives in its environment (SNAPCAT_*), besides the hook's own variables.</summary>
public sealed record HookInvocation(HookPhase Phase, string JobId)
{
    public string? MountPoint { get; init; }
    public string? Label { get; init; }
    /// <summary>The flow that runs the hook, e.g. "mirror-backup", "volume-restore", "file-restore".</summary>
    public string? Operation { get; init; }
    /// <summary>Further SNAPCAT_* facts a flow wants to pass (e.g. SNAPCAT_RESTORE_MOUNT).</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> ToEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["SNAPCAT_PHASE"] = Phase == HookPhase.Pre ? "pre" : "post",
            ["SNAPCAT_JOB_ID"] = JobId,
        };
        if (MountPoint is not null) env["SNAPCAT_MOUNT_POINT"] = MountPoint;
        if (Label is not null) env["SNAPCAT_LABEL"] = Label;
        if (Operation is not null) env["SNAPCAT_OPERATION"] = Operation;
        foreach (var (k, v) in Extra) env[k] = v;
        return env;
    }
}
