using System.CommandLine;
using Snapcat.Core.Units;

namespace Snapcat.Cli.Commands.Array;

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
        var create = new Command("create", "Snapshot a volume now; the array gives the snapshot its own volume number") { createNumber, port, lun };
        CopyOptions.RequireNumberOrPortLun(create, createNumber, port, lun, "the volume");
        create.SetClientAction(async (r, client, ct) =>
        {
            var s = r.GetValue(port) is { } p
                ? await client.CreateSnapshotAsync(p, r.GetValue(lun), ct).ConfigureAwait(false)
                : await client.CreateSnapshotAsync(r.GetValue(createNumber), ct).ConfigureAwait(false);
            console.Say(r, s, $"snapshot [bold]{s.Number}[/] of volume {s.SourceVolume} ({ByteSize.Format(s.Size)})");
        });
        snapshot.Subcommands.Add(create);

        var listNumber = ArrayCommand.VolumeNumber();
        var list = new Command("list", "List a volume's snapshots, oldest first") { listNumber };
        list.SetClientAction(async (r, client, ct) =>
        {
            uint n = r.GetValue(listNumber);
            console.ShowList(r, await client.ListSnapshotsAsync(n, ct).ConfigureAwait(false), $"volume {n} has no snapshots", Tables.Volumes);
        });
        snapshot.Subcommands.Add(list);

        var deleteNumber = new Argument<uint>("snapshot") { Description = "Volume number of the snapshot" };
        var force = new Option<bool>("--force") { Description = "Delete even while assigned to a port" };
        var delete = new Command("delete", "Delete a snapshot (its preserved data goes to the older neighbour when still needed)") { deleteNumber, force };
        delete.SetClientAction(async (r, client, ct) =>
        {
            uint n = r.GetValue(deleteNumber);
            // A snapshot is deleted like a volume; checking the kind first keeps a typo from deleting a source.
            var v = await client.GetVolumeAsync(n, ct).ConfigureAwait(false);
            if (v.Kind != "snapshot")
                Throw.Invalid("snapshot.not_a_snapshot", $"volume {n} is a {v.Kind}, not a snapshot; delete volumes with 'snapcat array volume delete {n}'");
            await client.DeleteVolumeAsync(n, r.GetValue(force), ct).ConfigureAwait(false);
            console.Say(r, new { deleted = n, sourceVolume = v.SourceVolume }, $"deleted snapshot [bold]{n}[/] of volume {v.SourceVolume}");
        });
        snapshot.Subcommands.Add(delete);
        return snapshot;
    }
}
