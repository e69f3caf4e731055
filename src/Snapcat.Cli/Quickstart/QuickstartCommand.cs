using System.CommandLine;

namespace Snapcat.Cli;

/// <summary><c>snapcat quickstart [--keep]</c>: a tour of Snapcat on loopback in a temporary directory.</summary>
public static class QuickstartCommand
{
    public static Command Build(CliConsole console)
    {
        var keep = new Option<bool>("--keep") { Description = "Keep the temporary directory (configuration, log, volume files) afterwards" };
        var command = new Command("quickstart", "Start a disk array on loopback, create and assign volumes, write data over NBD, show Inquiry and volume information");
        command.Options.Add(keep);
        command.SetAction((r, ct) => new QuickstartRunner(console, r.GetValue(keep)).RunAsync(QuickstartSteps.All, ct));
        return command;
    }
}
