using System.CommandLine;
using Spectre.Console;

namespace Snapcat.Cli;

/// <summary><c>snapcat array mirror add|remove|list</c>: a primary's copy destination list (FIG. 7 column 375).</summary>
public static class MirrorCommands
{
    public static Command Build(CliConsole console)
    {
        var mirror = new Command("mirror", "Manage a volume's copy destinations (mirror secondaries of the same size)");

        var addPrimary = new Argument<uint>("primary") { Description = "Primary volume number" };
        var addSecondary = new Argument<uint>("secondary") { Description = "Secondary volume number (same size, not a snapshot)" };
        var add = new Command("add", "Add a secondary to a primary's copy destination list");
        add.Arguments.Add(addPrimary);
        add.Arguments.Add(addSecondary);
        add.SetClientAction(async (r, client, ct) =>
        {
            var m = await client.AddMirrorAsync(r.GetValue(addPrimary), r.GetValue(addSecondary), ct);
            if (r.Json()) console.WriteJson(m);
            else console.Ui.MarkupLineInterpolated($"volume [bold]{m.Secondary}[/] is a copy destination of volume [bold]{m.Primary}[/]; the first copy will be a full one");
        });
        mirror.Subcommands.Add(add);

        var removePrimary = new Argument<uint>("primary") { Description = "Primary volume number" };
        var removeSecondary = new Argument<uint>("secondary") { Description = "Secondary volume number" };
        var remove = new Command("remove", "Remove a secondary from a primary's copy destination list (its data is kept)");
        remove.Arguments.Add(removePrimary);
        remove.Arguments.Add(removeSecondary);
        remove.SetClientAction(async (r, client, ct) =>
        {
            uint p = r.GetValue(removePrimary), s = r.GetValue(removeSecondary);
            await client.RemoveMirrorAsync(p, s, ct);
            if (r.Json()) console.WriteJson(new { primary = p, removed = s });
            else console.Ui.MarkupLineInterpolated($"volume {s} is no longer a copy destination of volume {p}");
        });
        mirror.Subcommands.Add(remove);

        var listPrimary = new Argument<uint>("primary") { Description = "Primary volume number", Arity = ArgumentArity.ZeroOrOne };
        var port = CopyOptions.Port();
        var lun = CopyOptions.Lun();
        var list = new Command("list", "List a primary's copy destinations and the state of the last copy to each");
        list.Arguments.Add(listPrimary);
        list.Options.Add(port);
        list.Options.Add(lun);
        CopyOptions.RequireNumberOrPortLun(list, listPrimary, port, lun, "the primary");
        list.SetClientAction(async (r, client, ct) =>
        {
            if (r.GetValue(port) is { } p)
            {
                // FIG. 8: what an agent sees when it knows only its port and LUN.
                var d = await client.GetCopyDestinationsAsync(p, r.GetValue(lun), ct);
                if (r.Json()) console.WriteJson(d);
                else console.Ui.Write(CopyTables.CopyDestinations(d));
                return;
            }
            uint n = r.GetValue(listPrimary);
            var mirrors = await client.ListMirrorsAsync(n, ct);
            if (r.Json()) console.WriteJson(mirrors);
            else if (mirrors.Count == 0) console.Ui.WriteLine($"volume {n} has no copy destinations");
            else console.Ui.Write(CopyTables.Mirrors(n, mirrors));
        });
        mirror.Subcommands.Add(list);
        return mirror;
    }
}
