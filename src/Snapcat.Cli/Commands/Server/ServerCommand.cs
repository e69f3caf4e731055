using System.CommandLine;
using Snapcat.Server.Hosting;

namespace Snapcat.Cli.Commands.Server;

/// <summary><c>snapcat server serve|info</c>: run the backup server, or ask one about itself.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class ServerCommand
{
    public const string DefaultConfig = "/etc/snapcat/server.json";

    public static Command Build(CliConsole console)
    {
        var server = new Command("server", "Run the backup server (catalog, schedules, flows), or show a running one").WithConnection();

        var serve = new Command("serve", $"Run the backup server described by --config (default {DefaultConfig}) until Ctrl-C or SIGTERM. " +
            "Exit codes: 0 stopped, 2 bad configuration, 1 other failure");
        serve.SetAction((r, ct) => ServerDaemon.RunAsync(r.GetValue(ServerConnection.Config)?.FullName ?? DefaultConfig, ct));
        server.Subcommands.Add(serve);

        var info = new Command("info", "Show the server: version, catalog, hosts with agents, arrays, counts");
        info.SetServerAction(async (r, client, ct) => console.Show(r, await client.GetServerAsync(ct).ConfigureAwait(false), ServerTables.Server));
        server.Subcommands.Add(info);
        return server;
    }
}
