using Snapcat.Cli.Commands;
using Spectre.Console;

namespace Snapcat.Server.Tests.Fixtures;

/// <summary>The snapcat CLI, in process: its server commands are plain HTTP clients of the rig's server.</summary>
public sealed partial class ServerRig
{
    public static async Task<(int Code, string Out, string Err)> CliAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        // Wide, so that table cells are not wrapped at 80 columns.
        var ui = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        ui.Profile.Width = 200;
        int code = await SnapcatCommand.RunAsync(args, new CliConsole(stdout, stderr, ui), CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A CLI command against the rig's server (<see cref="Conn"/> appended) that must exit 0; returns its output.</summary>
    public async Task<string> CliOkAsync(params string[] args)
    {
        var r = await CliAsync([.. args, .. Conn]);
        Assert.True(r.Code == 0, $"snapcat {string.Join(' ', args)} exited {r.Code}:\n{r.Out}\n{r.Err}");
        return r.Out;
    }

    /// <summary>A CLI command against the rig's server (<see cref="Conn"/> appended) that must fail; returns its error output.</summary>
    public async Task<string> CliRefusedAsync(params string[] args)
    {
        var r = await CliAsync([.. args, .. Conn]);
        Assert.True(r.Code != 0, $"snapcat {string.Join(' ', args)} was accepted:\n{r.Out}");
        return r.Err;
    }
}
