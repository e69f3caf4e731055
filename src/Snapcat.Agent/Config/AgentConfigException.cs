namespace Snapcat.Agent.Config;

/// <summary>The configuration file is unusable; <see cref="Problems"/> lists every problem found, like fsck.</summary>
public sealed class AgentConfigException(string path, IReadOnlyList<string> problems)
    : SnapcatException(ErrorKind.Invalid, "config.invalid",
        $"{path}: {problems.Count} problem(s) in the agent configuration:" + string.Concat(problems.Select(p => "\n  - " + p)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
