using System.CommandLine;
using Snapcat.Server.Hosting;

namespace Snapcat.Cli;

/// <summary><c>snapcat server serve|info</c>: run the backup server, or ask one about itself.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class ServerCommand
{
    public static Command Build(CliConsole console)
    {
        var server = new Command("server", "Run the backup server (catalog, schedules, flows), or show a running one").WithConnection();

        var serve = new Command("serve", "Run the backup server described by --config server.json until Ctrl-C or SIGTERM");
        serve.Validators.Add(c =>
        {
            if (c.GetValue(ServerConnection.Config) is null)
                c.AddError("'snapcat server serve' needs --config FILE, the server's configuration (server.json; see README.md)");
        });
        serve.SetAction((r, ct) => ServerDaemon.RunAsync(r.GetValue(ServerConnection.Config)!.FullName, ct));
        server.Subcommands.Add(serve);

        var info = new Command("info", "Show the server: version, catalog, hosts with agents, arrays, counts");
        info.SetServerAction(async (r, client, ct) =>
        {
            var i = await client.GetServerAsync(ct);
            if (r.Json()) console.WriteJson(i);
            else console.Ui.Write(ServerTables.Server(i));
        });
        server.Subcommands.Add(info);
        return server;
    }
}
