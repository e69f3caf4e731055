using System.CommandLine;
using Snapcat.Core.Units;
using Spectre.Console;

namespace Snapcat.Cli;

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
        var create = new Command("create", "Create a volume (a sparse file on the array); the array assigns its number");
        create.Options.Add(size);
        create.SetClientAction(async (r, client, ct) =>
        {
            var v = await client.CreateVolumeAsync(r.GetValue(size)!, ct);
            if (r.Json()) console.WriteJson(v);
            else console.Ui.MarkupLineInterpolated($"created volume [bold]{v.Number}[/] ({ByteSize.Format(v.Size)})");
        });
        volume.Subcommands.Add(create);

        var list = new Command("list", "List the array's volumes with size, allocation, assignments and volume information");
        list.SetClientAction(async (r, client, ct) =>
        {
            var volumes = await client.ListVolumesAsync(includeInfo: true, ct);
            if (r.Json()) console.WriteJson(volumes);
            else if (volumes.Count == 0) console.Ui.WriteLine("no volumes");
            else console.Ui.Write(Tables.Volumes(volumes));
        });
        volume.Subcommands.Add(list);

        var showNumber = ArrayCommand.VolumeNumber();
        var show = new Command("show", "Show one volume, its assignments and its decoded volume information");
        show.Arguments.Add(showNumber);
        show.SetClientAction(async (r, client, ct) =>
        {
            var v = await client.GetVolumeAsync(r.GetValue(showNumber), ct);
            var info = VolumeInfoView.FromBase64(v.VolumeInfo);
            if (r.Json()) console.WriteJson(new VolumeShowJson(v, info));
            else console.Ui.Write(Tables.Volume(v, info));
        });
        volume.Subcommands.Add(show);

        var deleteNumber = ArrayCommand.VolumeNumber();
        var force = new Option<bool>("--force") { Description = "Delete even while assigned to a port or referenced by a mirror or snapshot" };
        var delete = new Command("delete", "Delete a volume and its data (refused while in use, unless --force)");
        delete.Arguments.Add(deleteNumber);
        delete.Options.Add(force);
        delete.SetClientAction(async (r, client, ct) =>
        {
            uint n = r.GetValue(deleteNumber);
            await client.DeleteVolumeAsync(n, r.GetValue(force), ct);
            if (r.Json()) console.WriteJson(new { deleted = n });
            else console.Ui.MarkupLineInterpolated($"deleted volume [bold]{n}[/]");
        });
        volume.Subcommands.Add(delete);
        return volume;
    }
}

/// <summary>JSON of <c>volume show</c>: the array's record and the decoded volume information.</summary>
public sealed record VolumeShowJson(Snapcat.Array.Api.VolumeDto Volume, VolumeInfoView Info);
