using System.CommandLine;
using Snapcat.Agent.Hosting;

namespace Snapcat.Cli.Commands.Agent;

/// <summary><c>snapcat agent serve [--config FILE]</c>: runs the backup client agent until Ctrl-C or SIGTERM; without
/// --config it reads /etc/snapcat/agent.json, as the systemd unit does.</summary>
public static class AgentCommand
{
    public static readonly Option<FileInfo> Config = new("--config", "-c")
    {
        Description = $"The agent's configuration file (default {DefaultConfig}; see docs/agent.md)",
    };

    public const string DefaultConfig = "/etc/snapcat/agent.json";

    public static Command Build()
    {
        var agent = new Command("agent", "Run the backup client agent on a protected host");
        var serve = new Command("serve", $"Run the agent described by --config (default {DefaultConfig}; its HTTP API for the backup server) " +
            "until Ctrl-C or SIGTERM. Exit codes: 0 stopped, 2 bad configuration, 1 other failure");
        serve.Options.Add(Config);
        serve.SetAction(async (r, ct) =>
        {
            // The agent drives Linux tools (nbdfuse, mount, fsck) and Unix file modes.
            if (!OperatingSystem.IsLinux())
                throw new Snapcat.Core.Errors.SnapcatException(Snapcat.Core.Errors.ErrorKind.Invalid, "agent.linux_only", "the agent runs on Linux only");
            return await AgentDaemon.RunAsync(r.GetValue(Config)?.FullName ?? DefaultConfig, ct).ConfigureAwait(false);
        });
        agent.Subcommands.Add(serve);
        return agent;
    }
}
