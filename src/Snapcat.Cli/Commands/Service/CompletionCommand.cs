using System.CommandLine;
using System.Text;

namespace Snapcat.Cli.Commands.Service;

/// <summary>
/// <c>snapcat completion bash</c>: a bash completion script made from the command tree (<see cref="CommandTree"/>),
/// so it always knows the commands and options of this build: subcommands and options at every level, the values
/// of an option that has fixed ones (<c>--output table|json</c>), file names for other values. Static: a tab press
/// starts no .NET process. packaging/install.sh installs it as share/bash-completion/completions/snapcat; by hand:
/// <c>source &lt;(snapcat completion bash)</c>.
/// </summary>
public static class CompletionCommand
{
    public static Command Build(CliConsole console, Func<RootCommand> root)
    {
        var completion = new Command("completion", "Print a shell completion script made from this snapcat's commands");
        var bash = new Command("bash", "Print the bash completion script (install it as /usr/local/share/bash-completion/completions/snapcat, or: source <(snapcat completion bash))");
        bash.SetAction(_ =>
        {
            console.Out.Write(Bash(root()));
            return 0;
        });
        completion.Subcommands.Add(bash);
        return completion;
    }

    public static string Bash(RootCommand root)
    {
        var nodes = CommandTree.Walk(root);
        var s = new StringBuilder();
        s.Append("# bash completion for snapcat, made by 'snapcat completion bash' from its command tree.\n");
        s.Append("# Install: /usr/local/share/bash-completion/completions/snapcat, or: source <(snapcat completion bash)\n\n");
        s.Append("declare -gA _snapcat_words=(\n");
        foreach (var n in nodes)
            s.Append("  [").Append(Quote(n.Path)).Append("]=").Append(Quote(string.Join(' ', n.Subcommands.Select(c => c.Name).Concat(n.Options.SelectMany(CommandTree.Names))))).Append('\n');
        s.Append(")\ndeclare -gA _snapcat_subcommands=(\n");
        foreach (var n in nodes.Where(n => n.Subcommands.Count > 0))
            s.Append("  [").Append(Quote(n.Path)).Append("]=").Append(Quote(" " + string.Join(' ', n.Subcommands.Select(c => c.Name)) + " ")).Append('\n');
        s.Append(")\ndeclare -gA _snapcat_valued=(\n");
        foreach (var n in nodes)
        {
            var valued = n.Options.Where(CommandTree.TakesValue).SelectMany(CommandTree.Names).ToList();
            if (valued.Count > 0) s.Append("  [").Append(Quote(n.Path)).Append("]=").Append(Quote(" " + string.Join(' ', valued) + " ")).Append('\n');
        }
        s.Append(")\ndeclare -gA _snapcat_values=(\n");
        foreach (var n in nodes)
            foreach (var o in n.Options)
                if (CommandTree.Values(o) is { Count: > 0 } values)
                    foreach (string name in CommandTree.Names(o))
                        s.Append("  [").Append(Quote(n.Path + " " + name)).Append("]=").Append(Quote(string.Join(' ', values))).Append('\n');
        s.Append(')').Append('\n');
        s.Append("""

            _snapcat()
            {
                local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
                local key="snapcat" w i skip=0
                # The deepest command named so far; an option's value is not a command.
                for ((i = 1; i < COMP_CWORD; i++)); do
                    w="${COMP_WORDS[i]}"
                    if ((skip)); then skip=0; continue; fi
                    if [[ "${_snapcat_subcommands[$key]}" == *" $w "* ]]; then
                        key="$key $w"
                    elif [[ "${_snapcat_valued[$key]}" == *" $w "* ]]; then
                        skip=1
                    fi
                done
                if [[ "${_snapcat_valued[$key]}" == *" $prev "* ]]; then
                    local values="${_snapcat_values[$key $prev]}"
                    if [[ -n "$values" ]]; then
                        COMPREPLY=($(compgen -W "$values" -- "$cur"))
                    else
                        COMPREPLY=($(compgen -f -- "$cur"))
                    fi
                    return 0
                fi
                COMPREPLY=($(compgen -W "${_snapcat_words[$key]}" -- "$cur"))
                return 0
            }
            complete -o default -F _snapcat snapcat

            """);
        return s.ToString();
    }

    /// <summary>A bash single-quoted word.</summary>
    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
