using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Snapcat.Cli.Commands.Server;

/// <summary>
/// <c>snapcat drift check|list|fix</c> (docs/drift.md): reconcile the catalog against the arrays and the tape library,
/// show the findings (each with its stable ID, what each side says and its one fix command), and fix them.
/// </summary>
public static class DriftCommands
{
    public static Command Build(CliConsole console)
    {
        var drift = new Command("drift", "Find where the catalog and the arrays or tapes disagree, and fix each finding with one command").WithConnection();

        var check = new Command("check", "Run a drift reconcile now (catalog vs arrays vs tape library), wait for it and print what it found; exit code 0 even with findings");
        check.SetServerAction(async (r, client, ct) =>
        {
            var job = await client.StartDriftReconcileAsync(ct).ConfigureAwait(false);
            var final = await ServerJobCommands.Jobs.ReportAsync(console, r.Json(), client, job, wait: true, null, ct, printFinal: false).ConfigureAwait(false);
            var report = final!.Result?.Deserialize<DriftReport>(ServerClient.Json);
            if (r.Json()) { console.WriteJson(report); return; }
            if (report is null) return;
            Print(console, report.Findings, report.New);
            foreach (var u in report.Unreadable) console.Ui.MarkupLineInterpolated($"[yellow]{u.DeviceId}: not read: {u.Error}; its earlier findings are kept[/]");
            console.Ui.MarkupLineInterpolated($"{report.Findings.Count} finding(s), {report.New.Count} new, {report.Cleared.Count} cleared since the last check");
        });
        drift.Subcommands.Add(check);

        var kind = new Option<string>("--kind") { Description = $"Only findings of this kind: {string.Join(", ", DriftKinds.All)}" };
        var list = new Command("list", "The findings of the last drift reconcile") { kind };
        list.SetServerAction(async (r, client, ct) =>
        {
            var findings = await client.ListDriftFindingsAsync(r.GetValue(kind), ct).ConfigureAwait(false);
            if (r.Json()) { console.WriteJson(findings); return; }
            Print(console, findings, []);
            console.Ui.MarkupLineInterpolated($"{findings.Count} finding(s)");
        });
        drift.Subcommands.Add(list);

        var id = new Argument<string?>("id") { Description = "The finding's ID (D-…, see 'snapcat drift list')", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Fix every finding of --kind" };
        var fixKind = new Option<string>("--kind") { Description = $"With --all: the kind to fix ({string.Join(", ", DriftKinds.All)})" };
        var force = new Option<bool>("--force") { Description = "volume_gone: drop the row of a protected backup too" };
        var keepCatalog = new Option<bool>("--keep-catalog") { Description = "record_changed: write the catalog's record back to the array instead of taking the array's into the row" };
        var fix = new Command("fix", "Re-check a finding and apply its fix (nothing is done when it changed since the check); or --all --kind K") { id, all, fixKind, force, keepCatalog };
        fix.SetServerAction(async (r, client, ct) =>
        {
            string? one = r.GetValue(id);
            if (r.GetValue(all))
            {
                if (one is not null) throw new UsageException("drift.fix_usage", "give a finding ID or --all --kind K, not both");
                string k = r.GetValue(fixKind) ?? throw new UsageException("drift.fix_usage", $"--all needs --kind ({string.Join(", ", DriftKinds.All)})");
                var results = await client.FixAllDriftAsync(new DriftFixAllRequest(k, r.GetValue(force), r.GetValue(keepCatalog)), ct).ConfigureAwait(false);
                if (r.Json()) { console.WriteJson(results); return; }
                foreach (var x in results) Print(console, x);
                console.Ui.MarkupLineInterpolated($"{results.Count(x => x.Outcome is "fixed" or "started")} of {results.Count} finding(s) of kind {k} fixed");
                return;
            }
            if (one is null) throw new UsageException("drift.fix_usage", "name the finding to fix (snapcat drift fix D-…), or --all --kind K");
            var result = await client.FixDriftAsync(one, new DriftFixRequest(r.GetValue(force), r.GetValue(keepCatalog)), ct).ConfigureAwait(false);
            if (r.Json()) { console.WriteJson(result); return; }
            Print(console, result);
            if (result.Outcome == "refused") throw new UsageException("drift.fix_refused", result.Message);
        });
        drift.Subcommands.Add(fix);
        return drift;
    }

    private static void Print(CliConsole console, IReadOnlyList<DriftFindingDto> findings, IReadOnlyList<string> fresh)
    {
        foreach (var f in findings)
        {
            string mark = fresh.Contains(f.Id) ? " [bold](new)[/]" : "";
            console.Ui.MarkupLine($"[bold]{Markup.Escape(f.Id)}[/] {Markup.Escape(f.Kind)} {Markup.Escape(f.Target)}{mark}");
            console.Ui.MarkupLineInterpolated($"  catalog: {f.Catalog}");
            console.Ui.MarkupLineInterpolated($"  storage: {f.Storage}");
            console.Ui.MarkupLineInterpolated($"  fix:     {f.Fix}");
            console.Ui.MarkupLineInterpolated($"  seen:    {Rendering.Cells.Time(f.FirstSeen)} .. {Rendering.Cells.Time(f.LastSeen)}");
        }
    }

    private static void Print(CliConsole console, DriftFixResult x)
    {
        console.Ui.MarkupLineInterpolated($"{x.Id} {x.Kind} {x.Target}: {x.Outcome}: {x.Message}");
        foreach (string j in x.Jobs ?? []) console.Ui.MarkupLineInterpolated($"  started job {j} ('snapcat job wait {j}')");
        foreach (string l in x.Lost ?? []) console.Ui.MarkupLineInterpolated($"  [yellow]lost: {l}[/]");
    }
}
