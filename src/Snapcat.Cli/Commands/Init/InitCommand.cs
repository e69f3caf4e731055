using System.CommandLine;
using System.Globalization;

namespace Snapcat.Cli.Commands.Init;

/// <summary>
/// <c>snapcat init array|agent|server [--dir DIR] [--state-dir DIR]</c>: writes a starting configuration, the control API's key and
/// certificate and a token (<see cref="DaemonInit"/>), then says what the daemon's peers put in their configurations.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class InitCommand
{
    public static Command Build(CliConsole console)
    {
        var init = new Command("init", "Write a daemon's starting configuration, TLS key and certificate, and token (all 0600)");
        foreach (var daemon in new[] { "array", "agent", "server" })
            init.Subcommands.Add(BuildOne(console, daemon));
        return init;
    }

    private static Command BuildOne(CliConsole console, string daemon)
    {
        var dir = new Option<DirectoryInfo>("--dir") { Description = $"Folder to write into (created 0700 if missing; default {DaemonInit.DefaultDir})" };
        string what = daemon switch { "array" => "data directory (volumes)", "agent" => "state directory", _ => "catalog and audit log folder" };
        var stateDir = new Option<string>("--state-dir")
        {
            Description = $"The {daemon}'s {what}, absolute (default {DaemonInit.DefaultStateRoot}/{daemon} without --dir, else beside the configuration)",
        };
        var listen = new Option<string>("--listen") { Description = $"host:port of the control API (default 127.0.0.1:{DaemonInit.DefaultPort(daemon)})" };
        var names = new Option<string[]>("--san") { Description = "Another DNS name or IP address for the certificate (repeatable): the address peers use", AllowMultipleArgumentsPerToken = true };
        var force = new Option<bool>("--force") { Description = "Replace existing files (the certificate gets a new fingerprint)" };
        Option<string>? name = daemon switch
        {
            "array" => new Option<string>("--device-id") { Description = "The array's device ID (default ARRAY-01)" },
            "agent" => new Option<string>("--host-name") { Description = "The agent's host name (default this machine's)" },
            _ => null,
        };
        var command = new Command(daemon, daemon switch
        {
            "array" => "Write array.json, array.crt, array.key and array.token for a disk array",
            "agent" => "Write agent.json, agent.crt, agent.key and agent.token for a host agent",
            _ => "Write server.json, server.crt, server.key, server.token and the operator's client.json for the backup server",
        });
        foreach (Option option in new Option?[] { dir, listen, names, force, stateDir, name }.OfType<Option>())
            command.Options.Add(option);
        command.SetAction(r =>
        {
            // No --dir: the system's places, as the systemd units expect them.
            var given = r.GetValue(dir);
            string? state = r.GetValue(stateDir) ?? (given is null ? Path.Combine(DaemonInit.DefaultStateRoot, daemon) : null);
            var result = new DaemonInit(daemon, given?.FullName ?? DaemonInit.DefaultDir, r.GetValue(listen), name is null ? null : r.GetValue(name),
                r.GetValue(names), r.GetValue(force), state).Run();
            if (r.Json()) console.WriteJson(result);
            else Print(console.Out, result);
            return 0;
        });
        return command;
    }

    private static void Print(TextWriter o, DaemonInit.Result r)
    {
        o.WriteLine($"wrote {string.Join(", ", r.Files)} (mode 0600)");
        o.WriteLine($"certificate {r.Subject}, valid until {r.NotAfter.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}");
        o.WriteLine($"SHA-256 fingerprint {r.Fingerprint}");
        o.WriteLine();
        string dir = Path.GetDirectoryName(r.ConfigFile)!;
        string entry = $"{{ \"url\": \"{r.Url}\", \"tokenFile\": \"{r.Name ?? r.Daemon}.token\", \"fingerprint\": \"{r.Fingerprint}\" }}";
        string token = Path.Combine(dir, r.Daemon + ".token");
        switch (r.Daemon)
        {
            case "array":
                o.WriteLine("The backup server and each agent name this array in their configurations, under \"arrays\" by its device ID:");
                o.WriteLine($"  \"{r.Name}\": {entry}");
                o.WriteLine($"and keep a copy of {token} as that tokenFile (mode 0600). Other arrays list it the same way under \"peers\".");
                break;
            case "agent":
                o.WriteLine("The backup server names this agent in server.json, under \"agents\" by its host name:");
                o.WriteLine($"  \"{r.Name}\": {entry}");
                o.WriteLine($"and keeps a copy of {token} as that tokenFile (mode 0600).");
                o.WriteLine("Add the arrays this host uses under \"arrays\" and its volumes under \"portCorrespondence\" (see docs/agent.md).");
                break;
            default:
                o.WriteLine("Operators reach the server with the client profile written beside it:");
                o.WriteLine($"  install -D -m 600 {r.ProfileFile} ~/.config/snapcat/client.json");
                o.WriteLine("Then 'snapcat backup list' and the other client commands need no --server, --token or --fingerprint.");
                o.WriteLine("Add the agents and arrays under \"agents\" and \"arrays\" with the url, tokenFile and fingerprint that 'snapcat init agent|array' printed.");
                break;
        }
        o.WriteLine(r.ConfigFile == DaemonInit.DefaultConfigPath(r.Daemon)
            ? $"Start it: systemctl enable --now snapcat-{r.Daemon}  (or snapcat {r.Daemon} serve, which reads {r.ConfigFile})"
            : $"Start it: snapcat {r.Daemon} serve --config {r.ConfigFile}");
    }
}
