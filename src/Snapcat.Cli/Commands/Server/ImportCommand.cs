using System.CommandLine;
using System.Text.Json;
using Snapcat.Core.Integrity;
using Snapcat.Core.Storage;
using Snapcat.Core.VolumeInformation;
using Spectre.Console;

namespace Snapcat.Cli.Commands.Server;

/// <summary>
/// <c>snapcat backup import|export</c> (docs/import.md): a backup volume travels as three files (raw image, its 512-byte
/// volume information <c>.vinf</c>, its digest <c>.digest</c>) or from another array, into this server's array and catalog.
/// </summary>
public static class ImportCommand
{
    public static IEnumerable<Command> Build(CliConsole console) => [Import(console), Export(console)];

    private static Command Import(CliConsole console)
    {
        var array = new Option<string>("--array") { Description = "The array (device ID) that gets the new volume", Required = true };
        var image = new Option<FileInfo>("--image") { Description = "A raw image of the backup volume (as 'backup export' writes it)" };
        var info = new Option<FileInfo>("--info") { Description = "Its 512-byte volume information (FILE.vinf)" };
        var digest = new Option<FileInfo>("--digest") { Description = "Its digest file (FILE.digest); without it the data is sealed on arrival, with a warning" };
        var fromArray = new Option<string>("--from-array") { Description = "Instead of files: the array (device ID) holding the backup volume; this server and that array must know --array" };
        var volume = new Option<uint?>("--volume") { Description = "With --from-array: the backup volume's number there" };
        var import = new Command("import",
            "Import a backup volume — an image with its volume information and digest, or a volume of another array — into a new volume of --array and this catalog; " +
            "its record and digest prove it is the backup they name")
        {
            array, image, info, digest, fromArray, volume,
        };
        import.SetServerAction(async (r, client, ct) =>
        {
            string device = r.GetValue(array)!;
            ImportResult result;
            if (r.GetValue(fromArray) is { } from)
            {
                if (r.GetValue(image) is not null || r.GetValue(info) is not null)
                    throw new UsageException("import.usage", "give either --from-array and --volume, or --image and --info, not both");
                uint n = r.GetValue(volume) ?? throw new UsageException("import.usage", "--from-array needs --volume N (the backup volume on that array)");
                var job = await client.StartImportFromArrayAsync(new ImportFromArrayRequest(from, n, device), ct).ConfigureAwait(false);
                var final = await ServerJobCommands.Jobs.ReportAsync(console, r.Json(), client, job, wait: true, null, ct, printFinal: false).ConfigureAwait(false);
                result = final!.Result!.Deserialize<ImportResult>(ServerClient.Json)!;
            }
            else
            {
                var imageFile = r.GetValue(image) ?? throw new UsageException("import.usage", "give --image FILE and --info FILE.vinf (or --from-array DEV --volume N)");
                var infoFile = r.GetValue(info) ?? throw new UsageException("import.usage", "--image needs --info FILE.vinf, the backup's volume information");
                byte[] record = ReadRecord(infoFile);
                byte[]? digestBytes = r.GetValue(digest) is { } d ? ReadDigest(d) : null;
                if (!imageFile.Exists) throw new UsageException("import.no_image", $"no image at {imageFile.FullName}");
                var stream = new FileStream(imageFile.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
                await using var streamLifetime = stream.ConfigureAwait(false);
                result = await client.ImportImageAsync(device, record, digestBytes, stream, stream.Length, ct).ConfigureAwait(false);
            }
            if (r.Json()) { console.WriteJson(result); return; }
            foreach (string w in result.Warnings) console.Ui.MarkupLineInterpolated($"[yellow]warning: {w}[/]");
            if (result.AlreadyImported)
                console.Ui.MarkupLineInterpolated($"already imported: backup {result.BackupId} is backup {result.Id} (volume {result.Volume} on {result.DeviceId})");
            else
                console.Ui.MarkupLineInterpolated($"imported backup {result.BackupId} as backup {result.Id}: volume {result.Volume} on {result.DeviceId}, digest {result.Digest}");
        });
        return import;
    }

    /// <summary>The .vinf file: exactly one record that decodes, or a clear error before anything is sent.</summary>
    private static byte[] ReadRecord(FileInfo file)
    {
        if (!file.Exists) throw new UsageException("import.bad_record", $"no volume information file at {file.FullName}");
        byte[] raw = File.ReadAllBytes(file.FullName);
        if (raw.Length != VolumeInfoRecord.Size)
            throw new UsageException("import.bad_record", $"{file.FullName} is {raw.Length} bytes; a volume information record is {VolumeInfoRecord.Size}");
        if (!VolumeInfoRecord.TryDecode(raw, out _, out string? reason))
            throw new UsageException("import.bad_record", $"{file.FullName} is no valid volume information: it {reason}");
        return raw;
    }

    private static byte[] ReadDigest(FileInfo file)
    {
        if (!file.Exists) throw new UsageException("import.bad_digest", $"no digest file at {file.FullName}");
        byte[] raw = File.ReadAllBytes(file.FullName);
        try { ContentDigest.Parse(raw); }
        catch (Snapcat.Core.Errors.SnapcatException e) { throw new UsageException("import.bad_digest", $"{file.FullName}: {e.Message}"); }
        return raw;
    }

    private static Command Export(CliConsole console)
    {
        var id = new Argument<long>("id") { Description = "Backup ID (see 'snapcat backup list'); a backup held on an array" };
        var to = new Option<DirectoryInfo>("--to") { Description = "Directory for backup-ID.img, backup-ID.vinf and backup-ID.digest", Required = true };
        var export = new Command("export", "Write a disk backup as three files — its raw image, its volume information (.vinf) and its digest (.digest) — that 'backup import' takes on another server") { id, to };
        export.SetServerAction(async (r, client, ct) =>
        {
            long backup = r.GetValue(id);
            string dir = r.GetValue(to)!.FullName;
            DurableFile.CreateDirectory(dir);
            string stem = Path.Combine(dir, $"backup-{backup}");
            // The digest first: the array seals one when it has none, before the data is read out.
            byte[] digestFile = await ReadPartAsync(client, backup, "digest", ct).ConfigureAwait(false);
            byte[] record = await ReadPartAsync(client, backup, "vinf", ct).ConfigureAwait(false);
            var digest = ContentDigest.Parse(digestFile);
            string imagePath = stem + ".img", part = imagePath + ".part";
            try
            {
                var file = new FileStream(part, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20, useAsync: true);
                await using (file.ConfigureAwait(false))
                {
                    await client.ExportAsync(backup, "image", file, ct).ConfigureAwait(false);
                    // Checked on arrival: the image must be what the digest describes, or no export is left.
                    file.Position = 0;
                    var got = await ContentDigest.ComputeAsync(file, file.Length, ct: ct).ConfigureAwait(false);
                    if (!got.SameContentAs(digest))
                        throw new UsageException("digest.mismatch", $"the image read out of backup {backup} has digest {got.RootText}, not {digest.RootText}; nothing was exported");
                    file.Flush(flushToDisk: true);
                }
                // Durable: the image is fsynced before its rename; the small files are written atomically; the directory last.
                DurableFile.MoveDurably(part, imagePath, overwrite: true);
                DurableFile.WriteAtomic(stem + ".vinf", record);
                DurableFile.WriteAtomic(stem + ".digest", digestFile);
            }
            finally
            {
                if (File.Exists(part)) File.Delete(part);
            }
            var json = new { image = imagePath, info = stem + ".vinf", digest = stem + ".digest", root = digest.RootText, bytes = digest.Length };
            console.Say(r, json, $"exported backup {backup}: {imagePath} ({digest.Length} bytes), {stem}.vinf, {stem}.digest (digest {digest.RootText})");
        });
        return export;
    }

    private static async Task<byte[]> ReadPartAsync(ServerClient client, long backup, string part, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await client.ExportAsync(backup, part, buffer, ct).ConfigureAwait(false);
        return buffer.ToArray();
    }
}
