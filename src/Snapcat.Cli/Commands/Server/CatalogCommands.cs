using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Snapcat.Cli.Commands.Server;

/// <summary><c>snapcat catalog rebuild|orphans|volumes</c>: the catalog as a whole.</summary>
public static class CatalogCommands
{
    public static Command Build(CliConsole console)
    {
        var catalog = new Command("catalog", "Rebuild the catalog from the arrays' volume information, show the backup volume table").WithConnection();

        var arrays = new Option<string[]>("--array") { Description = "Rebuild from this array (device ID); repeatable; default: every array of the configuration" };
        var tapes = new Option<bool?>("--tapes") { Description = "Also scan the tape library's cartridges (default: yes when the server has a library and no --array is given); --tapes false skips them" };
        var state = new Option<bool?>("--state") { Description = "Restore definitions, the backup volume table, the rows' catalog-only fields and job summaries from the newest valid state copy on the arrays and tapes (default: yes); --state false reads the records only" };
        var fromServer = new Option<string?>("--from-server") { Description = "Restore the state copy of this server ID (as the report lists it) instead of the newest one's" };
        var rebuild = new Command("rebuild", "Restore the server's state from the newest valid state copy, then read every volume information record of the arrays and the management information on the tapes, and add or update the catalog rows (FIG. 15); waits and prints the report")
        {
            arrays, tapes, state, fromServer,
        };
        rebuild.SetServerAction(async (r, client, ct) =>
        {
            var a = r.GetValue(arrays);
            var job = await client.RebuildAsync(new RebuildRequest(a is { Length: > 0 } ? a : null, r.GetValue(tapes), r.GetValue(state), r.GetValue(fromServer)), ct).ConfigureAwait(false);
            var final = await ServerJobCommands.Jobs.ReportAsync(console, r.Json(), client, job, wait: true, null, ct, printFinal: false).ConfigureAwait(false);
            var report = final!.Result?.Deserialize<RebuildReport>(ServerClient.Json);
            if (r.Json()) console.WriteJson(report);
            else if (report is not null)
            {
                if (report.State is { } restored) WriteState(console, restored);
                console.Ui.Write(ServerTables.Rebuild(report));
                console.Ui.MarkupLineInterpolated(
                    $"{report.Added} added, {report.Unchanged} already there, {report.Updated} updated, {report.Invalid} invalid (not imported)");
                if (report.Orphans > 0)
                    console.Ui.MarkupLineInterpolated($"{report.Orphans} orphan snapshot(s) without volume information; 'snapcat catalog orphans --delete' deletes them");
                foreach (var bad in report.Arrays.Where(x => x.Error is not null))
                    console.Ui.MarkupLineInterpolated($"[yellow]{bad.DeviceId}: not read: {bad.Error}[/]");
            }
        });
        catalog.Subcommands.Add(rebuild);

        var orphanArrays = new Option<string[]>("--array") { Description = "Only this array (device ID); repeatable; default: every array of the configuration" };
        var delete = new Option<bool>("--delete") { Description = "Delete the orphan snapshots found (refused while a backup runs)" };
        var orphans = new Command("orphans",
            "List snapshot volumes that carry no volume information — left by a backup run that died between the snapshot and its record — and, with --delete, delete them")
        {
            orphanArrays, delete,
        };
        orphans.SetServerAction(async (r, client, ct) =>
        {
            var a = r.GetValue(orphanArrays);
            var devices = a is { Length: > 0 } ? a : null;
            var report = r.GetValue(delete) ? await client.DeleteOrphansAsync(devices, ct).ConfigureAwait(false) : await client.ListOrphansAsync(devices, ct).ConfigureAwait(false);
            if (r.Json()) { console.WriteJson(report); return; }
            if (report.Orphans.Count + report.Deleted.Count > 0) console.Ui.Write(ServerTables.Orphans(report));
            foreach (var u in report.Unreadable) console.Ui.MarkupLineInterpolated($"[yellow]{u.DeviceId}: not read: {u.Error}[/]");
            string hint = report.Orphans.Count > 0 && !r.GetValue(delete) ? "; 'snapcat catalog orphans --delete' deletes them" : "";
            console.Ui.MarkupLineInterpolated($"{report.Orphans.Count} orphan snapshot(s), {report.Deleted.Count} deleted{hint}");
        });
        catalog.Subcommands.Add(orphans);

        var volumes = new Command("volumes", "The backup volume table (FIG. 4): each host's mount point, its array and copy-to volumes");
        volumes.SetServerAction(async (r, client, ct) => console.ShowList(r, await client.ListBackupVolumesAsync(ct).ConfigureAwait(false),
            "the backup volume table is empty; it fills when definitions are created", ServerTables.BackupVolumes));
        catalog.Subcommands.Add(volumes);
        return catalog;
    }

    /// <summary>The state copy part of a rebuild report: which copy, what came from where, every copy that was not used and why.</summary>
    private static void WriteState(CliConsole console, StateRestoreReport s)
    {
        if (s.Source is null)
            console.Ui.MarkupLineInterpolated($"[yellow]State copy: {s.Problem}[/]");
        else
        {
            console.Ui.MarkupLineInterpolated($"State copy used: {s.Source}, server {s.ServerId}, generation {s.Generation}, written {s.Written:u}");
            var t = new Table { Border = TableBorder.Rounded }.AddColumns("Part", "From", "Restored", "From records only", "Kept", "Conflicts", "In copy, on no medium");
            void Row(string part, StatePartReport? p)
            {
                if (p is null) return;
                t.AddRow(Markup.Escape(part), Markup.Escape(p.From), $"{p.Restored}", $"{p.FromRecordsOnly}", $"{p.Kept}", $"{p.Conflicts}", $"{p.InCopyNotOnMedia}");
            }
            Row("definitions", s.Definitions);
            Row("backup volume table", s.BackupVolumes);
            Row("backup rows", s.BackupRows);
            Row("job summaries", s.Jobs);
            console.Ui.Write(t);
            if (s.DefinitionsKept.Count > 0)
                console.Ui.MarkupLineInterpolated($"kept as this catalog had them (not overwritten): {string.Join(", ", s.DefinitionsKept)}");
            foreach (string c in s.Conflicts) console.Ui.MarkupLineInterpolated($"[yellow]conflict: {c}[/]");
        }
        foreach (var seen in s.Copies.Where(c => !c.Used))
            console.Ui.MarkupLineInterpolated($"[yellow]state copy {seen.Source}: not used, {seen.Reason}[/]");
    }
}
