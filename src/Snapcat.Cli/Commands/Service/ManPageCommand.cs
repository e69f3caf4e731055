using System.CommandLine;
using System.Text;

namespace Snapcat.Cli.Commands.Service;

/// <summary>
/// <c>snapcat manpage</c>: snapcat(1) in troff (man macros), made from the command tree (<see cref="CommandTree"/>),
/// so every command and option of this build is in it with its help text; plus exit status, files and the
/// systemd units. packaging/install.sh installs it as share/man/man1/snapcat.1.
/// </summary>
public static class ManPageCommand
{
    public static Command Build(CliConsole console, Func<RootCommand> root)
    {
        var man = new Command("manpage", "Print the snapcat(1) manual page in troff (install it as /usr/local/share/man/man1/snapcat.1)");
        man.SetAction(_ =>
        {
            console.Out.Write(Troff(root()));
            return 0;
        });
        return man;
    }

    public static string Troff(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var nodes = CommandTree.Walk(root);
        var s = new StringBuilder();
        s.Append(".\\\" snapcat(1), made by 'snapcat manpage' from the command tree\n");
        s.Append(".TH SNAPCAT 1 \"\" \"snapcat\" \"Snapcat manual\"\n");
        s.Append(".SH NAME\nsnapcat \\- ").Append(Escape(root.Description ?? "backups of block-storage volumes")).Append('\n');
        s.Append(".SH SYNOPSIS\n.B snapcat\n.I command\n.RI [ options ]\n");
        s.Append(".SH DESCRIPTION\n").Append(Escape(
            "One executable for the three daemons (a disk array serving volumes over NBD, a host agent, a backup server with " +
            "a catalog and a virtual tape library) and the commands that administer them. The daemons run under systemd as " +
            "snapcat-array, snapcat-agent and snapcat-server. Every command takes --help.")).Append('\n');
        s.Append(".SH COMMANDS\n");
        var common = nodes[0].Options.Where(o => o.Recursive).ToHashSet();
        foreach (var n in nodes.Skip(1))
        {
            s.Append(".TP\n.B ").Append(Escape(n.Path));
            foreach (var a in n.Command.Arguments.Where(a => !a.Hidden))
                s.Append(" \\fI").Append(Escape(a.Name.ToUpperInvariant())).Append("\\fR");
            s.Append('\n').Append(Escape(n.Command.Description ?? "")).Append('\n');
            var own = n.Options.Where(o => !common.Contains(o)).ToList();
            if (own.Count == 0) continue;
            s.Append(".RS\n");
            foreach (var o in own)
            {
                s.Append(".TP\n.B ").Append(Escape(string.Join(", ", CommandTree.Names(o))));
                if (CommandTree.TakesValue(o)) s.Append(" \\fI").Append(Escape(o.HelpName ?? "VALUE")).Append("\\fR");
                s.Append('\n').Append(Escape(o.Description ?? "")).Append('\n');
            }
            s.Append(".RE\n");
        }
        s.Append(".SH COMMON OPTIONS\n");
        foreach (var o in common)
            s.Append(".TP\n.B ").Append(Escape(string.Join(", ", CommandTree.Names(o)))).Append('\n').Append(Escape(o.Description ?? "")).Append('\n');
        s.Append("""
            .SH EXIT STATUS
            .TP
            .B 0
            success; a daemon that was stopped (SIGTERM, Ctrl-C)
            .TP
            .B 1
            an error (printed as "error: message (code)"); a daemon that could not start for another reason than its configuration (a port in use, a disk not there)
            .TP
            .B 2
            a usage error; a daemon whose configuration is bad (unknown or missing key, bad value): the systemd units do not restart it (RestartPreventExitStatus=2)
            .TP
            .B 130
            interrupted
            .SH FILES
            .TP
            .I /etc/snapcat/array.json, /etc/snapcat/agent.json, /etc/snapcat/server.json
            what snapcat array|agent|server serve read without \-\-config; written by snapcat init. Strict: a key no daemon reads is refused by name.
            .TP
            .I /var/lib/snapcat/array, /var/lib/snapcat/agent, /var/lib/snapcat/server
            the array's volumes, the agent's state, the server's catalog and audit log (as snapcat init writes them)
            .TP
            .I /etc/systemd/system/snapcat\-array.service, snapcat\-agent.service, snapcat\-server.service
            the systemd units (Type=notify)
            .TP
            .I ~/.config/snapcat/client.json
            the operator's client profile (snapcat init server writes one)
            .SH SEE ALSO
            .BR systemctl (1),
            .BR journalctl (1);
            README.md and docs/operations.md in the Snapcat sources

            """);
        return s.ToString();
    }

    /// <summary>Text safe in troff: backslashes and hyphens escaped, other than ASCII as \[uXXXX], no line starting with a control character.</summary>
    private static string Escape(string text)
    {
        var s = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value == '\\') s.Append("\\e");
            else if (rune.Value == '-') s.Append("\\-");
            else if (rune.Value == '\n') s.Append(' ');
            else if (rune.Value > 127) s.Append("\\[u").Append(rune.Value.ToString("X4", System.Globalization.CultureInfo.InvariantCulture)).Append(']');
            else s.Append((char)rune.Value);
        }
        string t = s.ToString();
        return t.StartsWith('.') || t.StartsWith('\'') ? "\\&" + t : t;
    }
}
