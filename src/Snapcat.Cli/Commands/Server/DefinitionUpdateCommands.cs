using System.CommandLine;
using Spectre.Console;

namespace Snapcat.Cli.Commands.Server;

/// <summary>
/// <c>snapcat definition update|enable|disable</c>: day-2 changes through PATCH /v1/definitions/{name} (operator role).
/// Only the options given change; the server checks the result as it checks a new definition (hooks against the
/// agent, the schedule against its minimum interval) and the scheduler recomputes the next run at once.
/// A disabled definition is never fired by the scheduler; 'snapcat backup run' still runs it by hand.
/// </summary>
public static class DefinitionUpdateCommands
{
    public static void Add(Command def, CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "Definition name" };
        // The names of 'definition create' (--pre, --post, --keep), and the longer ones as aliases.
        var schedule = new Option<string>("--schedule") { Description = "New cron expression (5 fields, or 6 with seconds); \"\" = by hand only" };
        var zone = new Option<string>("--time-zone") { Description = "New IANA time zone of the schedule" };
        var label = new Option<string>("--label") { Description = "New label written into each backup's volume information" };
        var pre = new Option<string>("--pre", "--pre-hook") { Description = "New preprocess hook (a hook the agent has); \"\" = none" };
        var post = new Option<string>("--post", "--post-hook") { Description = "New postprocess hook; \"\" = none" };
        var preOnly = new Option<bool?>("--pre-only") { Description = "true: a preprocess without postprocess is on purpose; false: it is not" };
        var keep = new Option<int?>("--keep", "--keep-generations") { Description = "Snapshot: generations to keep" };
        var missed = new Option<string>("--missed-runs") { Description = "skip or run_once: what to do about runs missed while the server was down" }
            .AcceptOnlyFromAmong("skip", "run_once");
        var volume = new Option<uint?>("--volume") { Description = "Mirror: another secondary volume from the copy-to list" };

        var update = new Command("update", "Change fields of a backup definition (only the options given); the next run is recomputed at once")
        {
            name, schedule, zone, label, pre, post, preOnly, keep, missed, volume,
        };
        var retention = new RetentionOptions();
        retention.AddTo(update);
        update.SetServerAction(async (r, client, ct) =>
        {
            var patch = new DefinitionPatch
            {
                Schedule = r.GetValue(schedule), TimeZone = r.GetValue(zone), Label = r.GetValue(label), PreHook = r.GetValue(pre),
                PostHook = r.GetValue(post), PreOnly = r.GetValue(preOnly), KeepGenerations = r.GetValue(keep), MissedRuns = r.GetValue(missed),
                DestinationVolume = r.GetValue(volume), Retention = retention.Read(r),
            };
            if (patch.IsEmpty)
                throw new UsageException("definition.nothing_to_change",
                    "give at least one field to change: --schedule, --time-zone, --label, --pre, --post, --pre-only, --keep, --missed-runs, --volume or a --keep-* retention rule");
            var d = await client.PatchDefinitionAsync(r.GetValue(name)!, patch, ct).ConfigureAwait(false);
            if (r.Json()) console.WriteJson(d);
            else
            {
                console.Ui.Write(ServerTables.Definition(d));
                console.Ui.MarkupLineInterpolated($"updated {d.Name}; next run: {ServerTables.NextRun(d)}");
            }
        });
        def.Subcommands.Add(update);

        foreach (bool enable in new[] { true, false })
        {
            var n = new Argument<string>("name") { Description = "Definition name" };
            var c = new Command(enable ? "enable" : "disable", enable
                ? "Let the scheduler fire the definition again, from its next occurrence (the disabled time is not counted as missed runs)"
                : "Stop the scheduler from firing the definition; 'snapcat backup run NAME' still runs it by hand")
            {
                n,
            };
            c.SetServerAction(async (r, client, ct) =>
            {
                var d = await client.PatchDefinitionAsync(r.GetValue(n)!, new DefinitionPatch { Enabled = enable }, ct).ConfigureAwait(false);
                if (r.Json()) console.WriteJson(d);
                else if (enable)
                    console.Ui.MarkupLineInterpolated($"enabled {d.Name}; next run: {ServerTables.NextRun(d)}");
                else
                    console.Ui.MarkupLineInterpolated(
                        $"disabled {d.Name}: the scheduler does not fire it; 'snapcat backup run {d.Name}' still runs it by hand, 'snapcat definition enable {d.Name}' brings the schedule back");
            });
            def.Subcommands.Add(c);
        }
    }
}
