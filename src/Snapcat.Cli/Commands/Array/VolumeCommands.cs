using System.CommandLine;
using Snapcat.Core.Units;

namespace Snapcat.Cli.Commands.Array;

/// <summary><c>snapcat array volume create|list|show|delete</c>.</summary>
public static class VolumeCommands
{
    public static Command Build(CliConsole console)
    {
        var volume = new Command("volume", "Create, list, show and delete volumes");

        var size = new Option<string>("--size")
        {
            Description = "Size of the new volume: bytes or binary units, e.g. 512M, 20G",
            Required = true,
        };
        size.Validators.Add(o =>
        {
            if (!ByteSize.TryParse(o.GetValueOrDefault<string>(), out long bytes, out string? error))
                o.AddError("--size: " + error);
            else if (bytes <= 0)
                o.AddError("--size: a volume needs a size above zero");
        });
        var create = new Command("create", "Create a volume (a sparse file on the array); the array assigns its number") { size };
        create.SetClientAction(async (r, client, ct) =>
        {
            var v = await client.CreateVolumeAsync(r.GetValue(size)!, ct).ConfigureAwait(false);
            console.Say(r, v, $"created volume [bold]{v.Number}[/] ({ByteSize.Format(v.Size)})");
        });
        volume.Subcommands.Add(create);

        var list = new Command("list", "List the array's volumes with size, allocation, assignments and volume information");
        list.SetClientAction(async (r, client, ct) =>
            console.ShowList(r, await client.ListVolumesAsync(includeInfo: true, ct).ConfigureAwait(false), "no volumes", Tables.Volumes));
        volume.Subcommands.Add(list);

        var showNumber = ArrayCommand.VolumeNumber();
        var show = new Command("show", "Show one volume, its assignments and its decoded volume information") { showNumber };
        show.SetClientAction(async (r, client, ct) =>
        {
            var v = await client.GetVolumeAsync(r.GetValue(showNumber), ct).ConfigureAwait(false);
            console.Show(r, new VolumeShowJson(v, VolumeInfoView.FromBase64(v.VolumeInfo)), s => Tables.Volume(s.Volume, s.Info));
        });
        volume.Subcommands.Add(show);

        var deleteNumber = ArrayCommand.VolumeNumber();
        var force = new Option<bool>("--force") { Description = "Delete even while assigned to a port or referenced by a mirror or snapshot" };
        var delete = new Command("delete", "Delete a volume and its data (refused while in use, unless --force)") { deleteNumber, force };
        delete.SetClientAction(async (r, client, ct) =>
        {
            uint n = r.GetValue(deleteNumber);
            await client.DeleteVolumeAsync(n, r.GetValue(force), ct).ConfigureAwait(false);
            console.Say(r, new { deleted = n }, $"deleted volume [bold]{n}[/]");
        });
        volume.Subcommands.Add(delete);
        return volume;
    }
}

/// <summary>JSON of <c>volume show</c>: the array's record and the decoded volume information.</summary>
public sealed record VolumeShowJson(Snapcat.Contracts.Array.VolumeDto Volume, VolumeInfoView Info);
