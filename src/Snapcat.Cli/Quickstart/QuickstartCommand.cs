using System.CommandLine;

namespace Snapcat.Cli.Quickstart;

/// <summary><c>snapcat quickstart [--keep]</c>: a tour of Snapcat on loopback in a temporary directory.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class QuickstartCommand
{
    public static Command Build(CliConsole console)
    {
        var keep = new Option<bool>("--keep") { Description = "Keep the temporary directory (configurations, logs, catalog, volume files) afterwards" };
        var command = new Command("quickstart", "Start an array, an agent and a backup server on loopback; back up, lose and rebuild the catalog, restore (under a minute)");
        command.Options.Add(keep);
        command.SetAction((r, ct) => new QuickstartRunner(console, r.GetValue(keep)).RunAsync(QuickstartSteps.All, ct));
        return command;
    }
}
