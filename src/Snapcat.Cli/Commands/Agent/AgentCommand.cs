using System.CommandLine;
using Snapcat.Agent.Hosting;

namespace Snapcat.Cli;

/// <summary><c>snapcat agent serve --config FILE</c>: runs the backup client agent until Ctrl-C or SIGTERM.</summary>
public static class AgentCommand
{
    public static readonly Option<FileInfo> Config = new("--config", "-c")
    {
        Description = "The agent's configuration file (agent.json; see docs/agent.md)",
    };

    public static Command Build()
    {
        var agent = new Command("agent", "Run the backup client agent on a protected host");
        var serve = new Command("serve", "Run the agent described by --config (its HTTP API for the backup server) until Ctrl-C or SIGTERM");
        serve.Options.Add(Config);
        serve.Validators.Add(c =>
        {
            if (c.GetValue(Config) is null)
                c.AddError("'snapcat agent serve' needs --config FILE, the agent's configuration (see docs/agent.md)");
        });
        serve.SetAction(async (r, ct) =>
        {
            // The agent drives Linux tools (nbdfuse, mount, fsck) and Unix file modes.
            if (!OperatingSystem.IsLinux())
                throw new Snapcat.Core.Errors.SnapcatException(Snapcat.Core.Errors.ErrorKind.Invalid, "agent.linux_only", "the agent runs on Linux only");
            return await AgentDaemon.RunAsync(r.GetValue(Config)!.FullName, ct);
        });
        agent.Subcommands.Add(serve);
        return agent;
    }
}
