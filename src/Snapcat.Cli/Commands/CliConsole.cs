using System.CommandLine;
using System.Text.Json;
using Snapcat.Core.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Snapcat.Cli.Commands;

/// <summary>
/// Where a command writes: tables and progress for people (<see cref="Ui"/>), JSON for scripts
/// (<see cref="Out"/>), errors on <see cref="Error"/>. Tests pass string writers and run in-process.
/// </summary>
public sealed class CliConsole
{
    // The daemons' encoding (SnapcatJson), indented: --json prints a job state as the API and the event stream carry it.
    private static readonly JsonSerializerOptions JsonOptions = SnapcatJson.Apply(new(JsonSerializerDefaults.Web) { WriteIndented = true });

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

    /// <summary>One value: JSON with <c>--output json</c>, else its table.</summary>
    public void Show<T>(ParseResult r, T value, Func<T, IRenderable> table)
    {
        if (r.Json()) WriteJson(value);
        else Ui.Write(table(value));
    }

    /// <summary>A listing: JSON (an empty array too), a line saying there is nothing, or the table.</summary>
    public void ShowList<T>(ParseResult r, IReadOnlyList<T> items, string whenEmpty, Func<IReadOnlyList<T>, IRenderable> table)
    {
        if (r.Json()) WriteJson(items);
        else if (items.Count == 0) Ui.WriteLine(whenEmpty);
        else Ui.Write(table(items));
    }

    /// <summary>What a command did: a JSON object for scripts, a line for people (its values are escaped, the markup is not).</summary>
    public void Say(ParseResult r, object json, FormattableString line)
    {
        if (r.Json()) WriteJson(json);
        else Ui.MarkupLineInterpolated(line);
    }

    public void WriteError(string message)
    {
        Error.WriteLine("error: " + message);
        Error.Flush();
    }
}
