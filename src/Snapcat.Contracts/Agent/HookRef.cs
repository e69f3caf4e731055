namespace Snapcat.Contracts.Agent;

/// <summary>
/// What a flow asks to run as a preprocess or postprocess: the name of a configured hook, or — only
/// when the agent's configuration sets allowRawCommands — raw command text run by /bin/sh.
/// Exactly one of the two is set. Serialised in the pending-thaw journal.
/// </summary>
public sealed record HookRef(string? Name, string? RawCommand)
{
    public static HookRef Named(string name) => new(name, null);
    public static HookRef Raw(string commandText) => new(null, commandText);

    public override string ToString() => Name is not null ? $"hook '{Name}'" : $"raw command '{RawCommand}'";
}
