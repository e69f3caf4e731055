using System.CommandLine;
using Spectre.Console;

namespace Snapcat.Cli.Commands.Server;

/// <summary><c>snapcat definition create|list|show|update|enable|disable|delete|events</c>: the backup definition table (FIG. 5).</summary>
public static class DefinitionCommands
{
    public static Command Build(CliConsole console)
    {
        var def = new Command("definition", "Manage backup definitions: what to back up, where to, when").WithConnection();

        var name = new Argument<string>("name") { Description = "Definition name (no spaces)" };
        var host = new Option<string>("--host") { Description = "Host whose volume is backed up (an agent of the server configuration)", Required = true };
        var mount = new Option<string>("--mount-point") { Description = "Mount point of the volume on that host, e.g. /data", Required = true };
        var kind = new Option<string>("--kind") { Description = "mirror, snapshot, or tape (a temporary snapshot streamed to the server's tape library)", Required = true }
            .AcceptOnlyFromAmong("mirror", "snapshot", "tape");
        var device = new Option<string>("--device") { Description = "Destination: the array holding the volume (mirror, snapshot), or the tape library ID (tape)", Required = true };
        var volume = new Option<uint?>("--volume") { Description = "Mirror: the secondary volume number (must be in the volume's copy-to list)" };
        var label = new Option<string>("--label") { Description = "Label written into each backup's volume information", Required = true };
        var pre = new Option<string>("--pre") { Description = "Preprocess: name of a hook configured on the agent (e.g. freeze)" };
        var post = new Option<string>("--post") { Description = "Postprocess: name of a hook configured on the agent (e.g. thaw)" };
        var preOnly = new Option<bool>("--pre-only") { Description = "Allow a preprocess without a postprocess (refused otherwise: a freeze without a thaw leaves the volume frozen)" };
        var schedule = new Option<string>("--schedule") { Description = "Cron expression, e.g. \"0 2 * * *\" (5 fields, or 6 with seconds); none = by hand only" };
        var zone = new Option<string>("--time-zone") { Description = "IANA time zone of the schedule (default UTC)" };
        var keep = new Option<int?>("--keep") { Description = "Snapshot: generations to keep (older ones are deleted, oldest first); the same as --keep-last" };
        var retention = new RetentionOptions();
        var missed = new Option<string>("--missed-runs") { Description = "skip (default) or run_once: what to do about runs missed while the server was down" }
            .AcceptOnlyFromAmong("skip", "run_once");

        var create = new Command("create", "Create a backup definition (checked against the host's copy-to volume list)")
        {
            name, host, mount, kind, device, volume, label, pre, post, preOnly, schedule, zone, keep, missed,
        };
        retention.AddTo(create);
        create.SetServerAction(async (r, client, ct) =>
        {
            var d = await client.CreateDefinitionAsync(new DefinitionDto
            {
                Name = r.GetValue(name)!, Host = r.GetValue(host)!, MountPoint = r.GetValue(mount)!, Kind = r.GetValue(kind)!,
                DeviceId = r.GetValue(device)!, DestinationVolume = r.GetValue(volume), Label = r.GetValue(label)!,
                PreHook = r.GetValue(pre), PostHook = r.GetValue(post), PreOnly = r.GetValue(preOnly), Schedule = r.GetValue(schedule), TimeZone = r.GetValue(zone),
                KeepGenerations = r.GetValue(keep), MissedRuns = r.GetValue(missed), Retention = retention.Read(r),
            }, ct).ConfigureAwait(false);
            if (r.Json()) console.WriteJson(d);
            else
            {
                console.Ui.Write(ServerTables.Definition(d));
                console.Ui.MarkupLineInterpolated($"created; run it now with 'snapcat backup run {d.Name} --wait'");
            }
        });
        def.Subcommands.Add(create);

        var list = new Command("list", "List backup definitions with their next scheduled run");
        list.SetServerAction(async (r, client, ct) => console.ShowList(r, await client.ListDefinitionsAsync(ct).ConfigureAwait(false),
            "no backup definitions; create one with 'snapcat definition create'", ServerTables.Definitions));
        def.Subcommands.Add(list);

        var showName = new Argument<string>("name") { Description = "Definition name" };
        var show = new Command("show", "Show one backup definition") { showName };
        show.SetServerAction(async (r, client, ct) => console.Show(r, await client.GetDefinitionAsync(r.GetValue(showName)!, ct).ConfigureAwait(false), ServerTables.Definition));
        def.Subcommands.Add(show);

        var deleteName = new Argument<string>("name") { Description = "Definition name" };
        var delete = new Command("delete", "Delete a backup definition (its backups stay in the catalog and on the arrays)") { deleteName };
        delete.SetServerAction(async (r, client, ct) =>
        {
            string n = r.GetValue(deleteName)!;
            await client.DeleteDefinitionAsync(n, ct).ConfigureAwait(false);
            console.Say(r, new { deleted = n }, $"deleted definition {n}");
        });
        def.Subcommands.Add(delete);

        DefinitionUpdateCommands.Add(def, console);

        var events = new Command("events", "What the scheduler did recently: runs started, skipped, missed");
        events.SetServerAction(async (r, client, ct) =>
            console.ShowList(r, await client.ListScheduleEventsAsync(ct).ConfigureAwait(false), "no schedule events yet", ServerTables.ScheduleEvents));
        def.Subcommands.Add(events);
        return def;
    }
}
