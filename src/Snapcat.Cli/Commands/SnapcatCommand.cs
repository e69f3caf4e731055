using System.CommandLine;
using System.Runtime.InteropServices;

namespace Snapcat.Cli.Commands;

/// <summary>
/// The root of the <c>snapcat</c> command tree, and the one place where outcomes become exit codes:
/// 0 success, 1 a Snapcat error (printed as <c>error: message (code)</c>), 2 a usage error,
/// 130 interrupted.
/// </summary>
public static class SnapcatCommand
{
    public const int ExitOk = 0, ExitError = 1, ExitUsage = 2, ExitInterrupted = 130;

    /// <summary><c>--output table|json</c>, accepted by every command.</summary>
    public static readonly Option<string> Output = new Option<string>("--output", "-o")
    {
        Description = "Output format: table (for people) or json (for scripts)",
        Recursive = true,
        DefaultValueFactory = _ => "table",
    }.AcceptOnlyFromAmong("table", "json");

    public static OutputFormat Format(ParseResult r) => r.GetValue(Output) == "json" ? OutputFormat.Json : OutputFormat.Table;

    public static bool Json(this ParseResult r) => Format(r) == OutputFormat.Json;

    public static RootCommand Build(CliConsole console)
    {
        var root = new RootCommand("Snapcat: backups of block-storage volumes that carry their own volume information");
        root.Options.Add(Output);
        root.Subcommands.Add(ArrayCommand.Build(console));
        // The backup server and its client commands use Linux-only assemblies (the agent, and the server through the agent contract).
        if (OperatingSystem.IsLinux())
        {
            root.Subcommands.Add(AgentCommand.Build());
            root.Subcommands.Add(ServerCommand.Build(console));
            root.Subcommands.Add(DefinitionCommands.Build(console));
            root.Subcommands.Add(BackupCommands.Build(console));
            root.Subcommands.Add(VerifyCommands.Build(console));
            root.Subcommands.Add(PruneCommand.Build(console));
            root.Subcommands.Add(CatalogCommands.Build(console));
            root.Subcommands.Add(DriftCommands.Build(console));
            root.Subcommands.Add(ServerJobCommands.Build(console));
            root.Subcommands.Add(StatusCommand.Build(console));
            root.Subcommands.Add(AuditCommand.Build(console));
            root.Subcommands.Add(TapeCommand.Build(console));
            root.Subcommands.Add(QuickstartCommand.Build(console));
            root.Subcommands.Add(InitCommand.Build(console));
        }
        // Made from this tree itself, so they list every command above.
        root.Subcommands.Add(Service.CompletionCommand.Build(console, () => root));
        root.Subcommands.Add(Service.ManPageCommand.Build(console, () => root));
        return root;
    }

    /// <summary>
    /// The process entry. Ctrl-C and SIGTERM cancel the action's token and let it clean up (stop a
    /// quickstart's array child, shut a daemon down); a second signal terminates at once.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        using var cts = new CancellationTokenSource();
        Action<PosixSignalContext> onSignal = context =>
        {
            if (cts.IsCancellationRequested) return;
            context.Cancel = true;
            cts.Cancel();
        };
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, onSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, onSignal);
        return await RunAsync(args, CliConsole.FromProcess(), cts.Token).ConfigureAwait(false);
    }

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken ct)
    {
        var parse = Build(console).Parse(args);
        if (parse.Errors.Count > 0)
        {
            // "Required command was not provided" only adds noise beside a more precise error.
            var errors = parse.Errors.Where(e => parse.Errors.Count == 1 || !e.Message.StartsWith("Required command", StringComparison.Ordinal));
            foreach (var e in errors) console.WriteError(e.Message);
            console.Error.WriteLine($"Run '{CommandPath(parse)} --help' for usage.");
            return ExitUsage;
        }
        var config = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
            // Signals are handled by the process entry above, so that cleanup always runs to the end.
            ProcessTerminationTimeout = null,
        };
        try
        {
            return await parse.InvokeAsync(config, ct).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            console.WriteError($"{ex.Message} ({ex.Code})");
            return ExitUsage;
        }
        catch (SnapcatException ex)
        {
            console.WriteError($"{ex.Message} ({ex.Code})");
            return ExitError;
        }
        catch (OperationCanceledException)
        {
            console.WriteError("interrupted");
            return ExitInterrupted;
        }
        catch (Exception ex)
        {
            console.WriteError($"unexpected {ex.GetType().Name}: {ex.Message}");
            return ExitError;
        }
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            if (r.Command is not RootCommand) names.Insert(0, r.Command.Name);
        return string.Join(' ', ["snapcat", .. names]);
    }
}
