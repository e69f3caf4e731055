using System.CommandLine;
using Snapcat.Array.Hosting;

namespace Snapcat.Cli.Commands.Array;

/// <summary><c>snapcat array serve [--config FILE]</c>: runs the array daemon until Ctrl-C or SIGTERM; without --config
/// it reads /etc/snapcat/array.json, as the systemd unit does.</summary>
public static class ServeCommand
{
    public const string DefaultConfig = "/etc/snapcat/array.json";

    public static Command Build()
    {
        var serve = new Command("serve", $"Run the disk array described by --config (default {DefaultConfig}; control API and NBD data ports) " +
            "until Ctrl-C or SIGTERM. Exit codes: 0 stopped, 2 bad configuration, 1 other failure");
        serve.SetAction((r, ct) => ArrayDaemon.RunAsync(r.GetValue(ArrayConnection.Config)?.FullName ?? DefaultConfig, ct));
        return serve;
    }
}
