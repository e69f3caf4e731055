using System.CommandLine;
using Snapcat.Array.Api;
using Snapcat.Core.Errors;
using Snapcat.Core.Units;
using Spectre.Console;

namespace Snapcat.Cli;

/// <summary><c>snapcat array snapshot create|list|delete</c>: copy-on-write snapshots (second embodiment).</summary>
public static class SnapshotCommands
{
    public static Command Build(CliConsole console)
    {
        var snapshot = new Command("snapshot", "Take, list and delete copy-on-write snapshots of a volume");

        var createNumber = ArrayCommand.VolumeNumber();
        createNumber.Arity = ArgumentArity.ZeroOrOne;
        var port = CopyOptions.Port("Data port of the volume, host:port (instead of the number)");
        var lun = CopyOptions.Lun();
        var create = new Command("create", "Snapshot a volume now; the array gives the snapshot its own volume number");
        create.Arguments.Add(createNumber);
        create.Options.Add(port);
        create.Options.Add(lun);
        CopyOptions.RequireNumberOrPortLun(create, createNumber, port, lun, "the volume");
        create.SetClientAction(async (r, client, ct) =>
        {
            var s = r.GetValue(port) is { } p
                ? await client.CreateSnapshotAsync(p, r.GetValue(lun), ct)
                : await client.CreateSnapshotAsync(r.GetValue(createNumber), ct);
            if (r.Json()) console.WriteJson(s);
            else console.Ui.MarkupLineInterpolated($"snapshot [bold]{s.Number}[/] of volume {s.SourceVolume} ({ByteSize.Format(s.Size)})");
        });
        snapshot.Subcommands.Add(create);

        var listNumber = ArrayCommand.VolumeNumber();
        var list = new Command("list", "List a volume's snapshots, oldest first");
        list.Arguments.Add(listNumber);
        list.SetClientAction(async (r, client, ct) =>
        {
            uint n = r.GetValue(listNumber);
            var snaps = await client.ListSnapshotsAsync(n, ct);
            if (r.Json()) console.WriteJson(snaps);
            else if (snaps.Count == 0) console.Ui.WriteLine($"volume {n} has no snapshots");
            else console.Ui.Write(Tables.Volumes(snaps));
        });
        snapshot.Subcommands.Add(list);

        var deleteNumber = new Argument<uint>("snapshot") { Description = "Volume number of the snapshot" };
        var force = new Option<bool>("--force") { Description = "Delete even while assigned to a port" };
        var delete = new Command("delete", "Delete a snapshot (its preserved data goes to the older neighbour when still needed)");
        delete.Arguments.Add(deleteNumber);
        delete.Options.Add(force);
        delete.SetClientAction(async (r, client, ct) =>
        {
            uint n = r.GetValue(deleteNumber);
            // A snapshot is deleted like a volume; checking the kind first keeps a typo from deleting a source.
            var v = await client.GetVolumeAsync(n, ct);
            if (v.Kind != "snapshot")
                Throw.Invalid("snapshot.not_a_snapshot", $"volume {n} is a {v.Kind}, not a snapshot; delete volumes with 'snapcat array volume delete {n}'");
            await client.DeleteVolumeAsync(n, r.GetValue(force), ct);
            if (r.Json()) console.WriteJson(new { deleted = n, sourceVolume = v.SourceVolume });
            else console.Ui.MarkupLineInterpolated($"deleted snapshot [bold]{n}[/] of volume {v.SourceVolume}");
        });
        snapshot.Subcommands.Add(delete);
        return snapshot;
    }
}
