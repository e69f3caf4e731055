using System.CommandLine;

namespace Snapcat.Cli.Commands.Array;

/// <summary><c>snapcat array mirror add|remove|list</c>: a primary's copy destination list (FIG. 7 column 375).</summary>
public static class MirrorCommands
{
    public static Command Build(CliConsole console)
    {
        var mirror = new Command("mirror", "Manage a volume's copy destinations (mirror secondaries of the same size)");

        var addPrimary = Primary();
        var addSecondary = new Argument<uint>("secondary") { Description = "Secondary volume number (same size, not a snapshot)" };
        var add = new Command("add", "Add a secondary to a primary's copy destination list") { addPrimary, addSecondary };
        add.SetClientAction(async (r, client, ct) =>
        {
            var m = await client.AddMirrorAsync(r.GetValue(addPrimary), r.GetValue(addSecondary), ct).ConfigureAwait(false);
            console.Say(r, m, $"volume [bold]{m.Secondary}[/] is a copy destination of volume [bold]{m.Primary}[/]; the first copy will be a full one");
        });
        mirror.Subcommands.Add(add);

        var removePrimary = Primary();
        var removeSecondary = new Argument<uint>("secondary") { Description = "Secondary volume number" };
        var remove = new Command("remove", "Remove a secondary from a primary's copy destination list (its data is kept)") { removePrimary, removeSecondary };
        remove.SetClientAction(async (r, client, ct) =>
        {
            uint p = r.GetValue(removePrimary), s = r.GetValue(removeSecondary);
            await client.RemoveMirrorAsync(p, s, ct).ConfigureAwait(false);
            console.Say(r, new { primary = p, removed = s }, $"volume {s} is no longer a copy destination of volume {p}");
        });
        mirror.Subcommands.Add(remove);

        var listPrimary = Primary();
        listPrimary.Arity = ArgumentArity.ZeroOrOne;
        var port = CopyOptions.Port();
        var lun = CopyOptions.Lun();
        var list = new Command("list", "List a primary's copy destinations and the state of the last copy to each") { listPrimary, port, lun };
        CopyOptions.RequireNumberOrPortLun(list, listPrimary, port, lun, "the primary");
        list.SetClientAction(async (r, client, ct) =>
        {
            if (r.GetValue(port) is { } p)
            {
                // FIG. 8: what an agent sees when it knows only its port and LUN.
                console.Show(r, await client.GetCopyDestinationsAsync(p, r.GetValue(lun), ct).ConfigureAwait(false), CopyTables.CopyDestinations);
                return;
            }
            uint n = r.GetValue(listPrimary);
            console.ShowList(r, await client.ListMirrorsAsync(n, ct).ConfigureAwait(false), $"volume {n} has no copy destinations", m => CopyTables.Mirrors(n, m));
        });
        mirror.Subcommands.Add(list);
        return mirror;
    }

    private static Argument<uint> Primary() => new("primary") { Description = "Primary volume number" };
}
