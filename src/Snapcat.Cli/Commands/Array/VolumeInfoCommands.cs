using System.CommandLine;
using Snapcat.Core.VolumeInformation;
using Spectre.Console;

namespace Snapcat.Cli.Commands.Array;

/// <summary>
/// <c>snapcat array info get|put|delete N</c> (beside <c>snapcat array info</c>, which shows the array itself) and <c>snapcat array infos</c>: the 512-byte volume
/// information the array keeps beside each volume (FIG. 11). The array stores it opaquely; the CLI
/// decodes it for display and refuses to upload a file that is not exactly one record.
/// </summary>
public static class VolumeInfoCommands
{
    public static void AddTo(Command group, CliConsole console)
    {
        var getNumber = ArrayCommand.VolumeNumber();
        var getFile = new Option<FileInfo>("--file") { Description = "Write the raw 512 bytes to this file" };
        var decode = new Option<bool>("--decode") { Description = "Show the decoded record (the default without --file)" };
        var get = new Command("get", "Show a volume's volume information, or save it with --file") { getNumber, getFile, decode };
        get.SetClientAction(async (r, client, ct) =>
        {
            uint n = r.GetValue(getNumber);
            byte[]? bytes = await client.GetVolumeInfoAsync(n, ct).ConfigureAwait(false);
            var file = r.GetValue(getFile);
            if (bytes is null)
                Throw.NotFound(ArrayClient.VolumeInfoNotFoundCode, $"volume {n} has no volume information");
            if (file is not null)
            {
                await File.WriteAllBytesAsync(file.FullName, bytes, ct).ConfigureAwait(false);
                if (!r.Json()) console.Ui.MarkupLineInterpolated($"wrote the {bytes.Length}-byte volume information of volume {n} to {file.FullName}");
            }
            var view = VolumeInfoView.FromBytes(bytes);
            if (r.Json()) console.WriteJson(new VolumeInfoJson(n, Convert.ToBase64String(bytes), view));
            else if (file is null || r.GetValue(decode)) console.Ui.Write(Tables.Info(n, view));
        });
        group.Subcommands.Add(get);

        var putNumber = ArrayCommand.VolumeNumber();
        var putFile = new Option<FileInfo>("--file") { Description = "File of exactly 512 bytes", Required = true };
        var put = new Command("put", "Write a volume's volume information from a 512-byte file") { putNumber, putFile };
        put.SetClientAction(async (r, client, ct) =>
        {
            uint n = r.GetValue(putNumber);
            var file = r.GetValue(putFile)!;
            byte[] bytes;
            try { bytes = await File.ReadAllBytesAsync(file.FullName, ct).ConfigureAwait(false); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SnapcatException(ErrorKind.Invalid, "cli.file_unreadable", $"cannot read {file.FullName}: {ex.Message}", ex);
            }
            if (bytes.Length != VolumeInfoRecord.Size)
                Throw.Invalid("volume_info.length", $"{file.FullName} is {bytes.Length} bytes; volume information is exactly {VolumeInfoRecord.Size}");
            await client.PutVolumeInfoAsync(n, bytes, ct).ConfigureAwait(false);
            var view = VolumeInfoView.FromBytes(bytes);
            if (r.Json()) console.WriteJson(new VolumeInfoJson(n, Convert.ToBase64String(bytes), view));
            else
            {
                console.Ui.MarkupLineInterpolated($"wrote volume information of volume [bold]{n}[/]");
                // The array stores any 512 bytes; say so when they are not a Snapcat record.
                if (!view.Valid) console.Ui.MarkupLineInterpolated($"[yellow]note:[/] {view.Invalid}");
            }
        });
        group.Subcommands.Add(put);

        var deleteNumber = ArrayCommand.VolumeNumber();
        var delete = new Command("delete", "Delete a volume's volume information (the volume and its data stay)") { deleteNumber };
        delete.SetClientAction(async (r, client, ct) =>
        {
            uint n = r.GetValue(deleteNumber);
            await client.DeleteVolumeInfoAsync(n, ct).ConfigureAwait(false);
            console.Say(r, new { deleted = n }, $"deleted the volume information of volume [bold]{n}[/]");
        });
        group.Subcommands.Add(delete);
    }

    public static Command BuildListing(CliConsole console)
    {
        var infos = new Command("infos", "List every volume with its decoded volume information (what a catalog rebuild reads)");
        infos.SetClientAction(async (r, client, ct) =>
        {
            var listing = await client.ListVolumeInfosAsync(ct).ConfigureAwait(false);
            if (r.Json())
                console.WriteJson(new VolumeInfoListingJson(listing.DeviceId,
                    listing.Volumes.Select(v => new VolumeInfoEntryJson(v.Number, v.Size, v.Kind, v.VolumeInfo, VolumeInfoView.FromBase64(v.VolumeInfo))).ToList()));
            else console.Ui.Write(Tables.Infos(listing));
        });
        return infos;
    }
}

public sealed record VolumeInfoJson(uint Volume, string Raw, VolumeInfoView Info);

public sealed record VolumeInfoListingJson(string DeviceId, IReadOnlyList<VolumeInfoEntryJson> Volumes);

public sealed record VolumeInfoEntryJson(uint Number, long Size, string Kind, string? Raw, VolumeInfoView Info);
