using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace Snapcat.Cli;

/// <summary>
/// Where a command writes: tables and progress for people (<see cref="Ui"/>), JSON for scripts
/// (<see cref="Out"/>), errors on <see cref="Error"/>. Tests pass string writers and run in-process.
/// </summary>
public sealed class CliConsole
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public CliConsole(TextWriter stdout, TextWriter stderr, IAnsiConsole? ui = null)
    {
        Out = stdout;
        Error = stderr;
        Ui = ui ?? AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        Interactive = ui is not null && ui.Profile.Capabilities.Interactive;
    }

    public static CliConsole FromProcess()
    {
        var ui = AnsiConsole.Console;
        // Piped into a file or a CI log there is no terminal width; don't wrap lines at 80 columns.
        if (Console.IsOutputRedirected) ui.Profile.Width = 160;
        return new(Console.Out, Console.Error, ui);
    }

    public TextWriter Out { get; }
    public TextWriter Error { get; }
    public IAnsiConsole Ui { get; }

    /// <summary>True on a terminal: spinners are shown; otherwise steps print plain lines.</summary>
    public bool Interactive { get; }

    public void WriteJson<T>(T value)
    {
        Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));
        Out.Flush();
    }

    public void WriteError(string message)
    {
        Error.WriteLine("error: " + message);
        Error.Flush();
    }
}
