using System.CommandLine;
using System.CommandLine.Completions;

namespace Snapcat.Cli.Commands.Service;

/// <summary>
/// The snapcat command tree as data, for the bash completion and the man page: every visible command with its
/// path from the root, its subcommands and its options (its own plus the recursive ones of its ancestors).
/// </summary>
public static class CommandTree
{
    /// <summary>One command: "snapcat array volume create", what it does, its subcommands and options.</summary>
    public sealed record Node(string Path, Command Command, IReadOnlyList<Command> Subcommands, IReadOnlyList<Option> Options);

    /// <summary>Depth-first, the root first; hidden commands and options left out.</summary>
    public static IReadOnlyList<Node> Walk(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var nodes = new List<Node>();
        Visit(root, "snapcat", [], nodes);
        return nodes;
    }

    private static void Visit(Command command, string path, IReadOnlyList<Option> inherited, List<Node> nodes)
    {
        var options = inherited.Concat(command.Options.Where(o => !o.Hidden && !inherited.Contains(o))).ToList();
        var subs = command.Subcommands.Where(c => !c.Hidden).ToList();
        nodes.Add(new Node(path, command, subs, options));
        var passed = options.Where(o => o.Recursive).ToList();
        foreach (var sub in subs) Visit(sub, path + " " + sub.Name, passed, nodes);
    }

    /// <summary>Whether the option is followed by a value (a flag, bool, is not).</summary>
    public static bool TakesValue(Option option)
    {
        ArgumentNullException.ThrowIfNull(option);
        return option.ValueType != typeof(bool) && option.Arity.MaximumNumberOfValues > 0;
    }

    /// <summary>The option's fixed values (<c>--output table|json</c>, an enum), none when it takes any value.</summary>
    public static IReadOnlyList<string> Values(Option option)
    {
        ArgumentNullException.ThrowIfNull(option);
        if (!TakesValue(option)) return [];
        try
        {
            return option.GetCompletions(CompletionContext.Empty).Select(c => c.Label).Where(l => l.Length > 0 && !l.Any(char.IsWhiteSpace)).ToList();
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or ArgumentException)
        {
            return [];
        }
    }

    /// <summary>The option's POSIX names, the long one first: "--output", "-o" (not "/h", "-?").</summary>
    public static IEnumerable<string> Names(Option option)
    {
        ArgumentNullException.ThrowIfNull(option);
        return new[] { option.Name }.Concat(option.Aliases.OrderByDescending(a => a.Length))
            .Where(n => n.StartsWith('-') && !n.Contains('?', StringComparison.Ordinal)).Distinct();
    }
}
