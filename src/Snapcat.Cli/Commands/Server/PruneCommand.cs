using System.CommandLine;
using Spectre.Console;
using static Snapcat.Cli.Rendering.Cells;

namespace Snapcat.Cli.Commands.Server;

/// <summary>
/// <c>snapcat prune [DEFINITION] [--dry-run]</c>: apply the definitions' retention (docs/retention.md). The dry run lists
/// every backup with what happens to it and the rule that keeps it; without it the backups it would remove are deleted
/// through the delete flow and the same list says what went. Exit 1 when a delete failed.
/// </summary>
public static class PruneCommand
{
    public static Command Build(CliConsole console)
    {
        var definition = new Argument<string?>("definition") { Description = "Prune only this definition's backups (default: every definition)", Arity = ArgumentArity.ZeroOrOne };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only list which backups would go and which stay, and why; delete nothing" };
        var prune = new Command("prune", "Delete the backups no retention rule of their definition keeps (keep-last, keep-daily, …); protected backups stay")
        {
            definition, dryRun,
        };
        prune.WithConnection();
        prune.SetServerAction(async (r, client, ct) =>
        {
            string? name = r.GetValue(definition);
            PruneReport report;
            if (r.GetValue(dryRun)) report = await client.PlanPruneAsync(name, ct).ConfigureAwait(false);
            else
            {
                var started = await client.PruneAsync(name, ct).ConfigureAwait(false);
                var final = await ServerJobCommands.Jobs.ReportAsync(console, json: true, client, started, wait: true, timeout: null, ct, printFinal: false).ConfigureAwait(false);
                report = client.ResultOf<PruneReport>(final!);
            }
            if (r.Json()) console.WriteJson(report);
            else Render(console, report);
            var failed = report.Definitions.SelectMany(d => d.Backups).Where(b => b.Error is not null).ToArray();
            if (failed.Length > 0)
                throw new SnapcatException(ErrorKind.Remote, "prune.delete_failed",
                    $"{failed.Length} backup(s) the retention removes were not deleted: " + string.Join("; ", failed.Select(b => $"{b.Id}: {b.Error}")));
        });
        return prune;
    }

    private static void Render(CliConsole console, PruneReport report)
    {
        if (report.Definitions.Count == 0) console.Ui.WriteLine("no backup definitions");
        foreach (var d in report.Definitions)
        {
            console.Ui.MarkupLineInterpolated($"[bold]{d.Definition}[/] ({d.Kind}, retention {d.Retention}, periods in {d.TimeZone})");
            if (d.Skipped is not null)
            {
                console.Ui.WriteLine("  skipped: " + d.Skipped);
                continue;
            }
            if (d.Backups.Count == 0)
            {
                console.Ui.WriteLine("  no backups");
                continue;
            }
            var t = new Table().AddColumns("ID", "Time stamp (UTC)", "Where", report.DryRun ? "Would" : "Outcome", "Why");
            t.Columns[0].RightAligned();
            foreach (var b in d.Backups)
                t.AddRow(Cell(b.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), Cell(Time(b.Timestamp)), Cell($"{b.DeviceId} {b.MediaId}"),
                    Cell(Outcome(b, report.DryRun)), Cell(b.Reason ?? b.Error ?? "no rule keeps it"));
            console.Ui.Write(t);
            int going = d.Backups.Count(b => b.Action == "remove");
            console.Ui.WriteLine(report.DryRun
                ? $"  {going} of {d.Backups.Count} backup(s) would be deleted (dry run: nothing was)"
                : $"  {d.Backups.Count(b => b.Deleted)} of {d.Backups.Count} backup(s) deleted");
        }
    }

    private static string Outcome(PruneItemDto b, bool dryRun) => b.Action switch
    {
        "remove" when dryRun => "remove",
        "remove" => b.Deleted ? "deleted" : "NOT deleted",
        var a => a,
    };
}
