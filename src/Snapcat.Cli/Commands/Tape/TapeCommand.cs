using System.CommandLine;
using System.Diagnostics;
using Snapcat.Core.Units;
using Snapcat.Core.VolumeInformation;
using Snapcat.Server.Catalog;
using Snapcat.Server.Tape;

namespace Snapcat.Cli.Commands.Tape;

/// <summary>
/// <c>snapcat tape label|list|import|export|verify --library DIR</c>: offline administration of a tape library
/// directory (the server must not be using it at the same time); <c>tape list</c> and <c>tape recycle</c> also
/// through the server (<c>--server</c>). The hidden <c>bench-copy</c> times a copy
/// of a file to tape for bench/tape.sh.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class TapeCommand
{
    public static readonly Option<DirectoryInfo> Library = new("--library", "-l")
    {
        Description = "The tape library directory (cartridge files VOLSER.aws)",
        Recursive = true,
    };

    public static readonly Option<string> Capacity = new("--capacity")
    {
        Description = "Cartridge capacity, e.g. 2G (must match the server's configuration for that library)",
        Recursive = true,
        DefaultValueFactory = _ => "2G",
    };

    public static readonly Option<int> Slots = new("--slots")
    {
        Description = "Number of cartridge slots in the library",
        Recursive = true,
        DefaultValueFactory = _ => 64,
    };

    public static readonly Option<string> LibraryId = new("--library-id")
    {
        Description = "Device ID of the library in catalog rows",
        Recursive = true,
        DefaultValueFactory = _ => "TAPELIB",
    };

    public static Command Build(CliConsole console)
    {
        var tape = new Command("tape", "Administer a virtual tape library directory: label, list, import, export cartridges, verify backups");
        tape.Options.Add(Library);
        tape.Options.Add(Capacity);
        tape.Options.Add(Slots);
        tape.Options.Add(LibraryId);

        var count = new Option<int>("--count", "-n") { Description = "How many cartridges to label", DefaultValueFactory = _ => 1 };
        var label = new Command("label", "Label new cartridges with the next volume serials (VOL1, empty)") { count };
        label.SetLibraryAction(async (r, lib, ct) =>
        {
            var serials = await lib.LabelAsync(r.GetValue(count), ct).ConfigureAwait(false);
            console.Say(r, new { labelled = serials }, $"labelled {string.Join(", ", serials)}");
        });
        tape.Subcommands.Add(label);

        var list = new Command("list", "List cartridges with state, free space and the backups on them (--library offline, or --server: the server's library)")
        {
            ServerConnection.Url, ServerConnection.Connection.Token, ServerConnection.Connection.Fingerprint, ServerConnection.Connection.CaFile,
        };
        void Print(ParseResult r, string? libraryId, IReadOnlyList<CartridgeSummary> cartridges)
        {
            if (r.Json()) console.WriteJson(new { libraryId, cartridges });
            else console.ShowList(r, cartridges, "no cartridges; 'snapcat tape label' makes one", ServerTables.Cartridges);
        }
        list.SetAction(async (r, ct) =>
        {
            if (r.GetValue(ServerConnection.Url) is not null && r.GetValue(Library) is null)
            {
                using var client = ServerConnection.Open(r);
                Print(r, null, await client.ListCartridgesAsync(ct).ConfigureAwait(false));
            }
            else
            {
                using var lib = OpenLibrary(r, list);
                Print(r, lib.LibraryId, await lib.ListAsync(ct).ConfigureAwait(false));
            }
            return 0;
        });
        tape.Subcommands.Add(list);

        var file = new Argument<FileInfo>("file") { Description = "The cartridge image to import (its VOL1 label gives its volume serial)" };
        var import = new Command("import", "Import a cartridge image after a full label scan (refuses damaged files and duplicate serials)") { file };
        import.SetLibraryAction(async (r, lib, ct) =>
        {
            var c = await lib.ImportAsync(r.GetValue(file)!.FullName, ct).ConfigureAwait(false);
            console.Say(r, c, $"imported {c.VolumeSerial} ({c.State}, {c.Backups.Count} backup(s))");
        });
        tape.Subcommands.Add(import);

        var serial = new Argument<string>("volser") { Description = "Volume serial of the cartridge, e.g. SC0001" };
        var to = new Option<DirectoryInfo>("--to") { Description = "Directory to copy the cartridge file into", Required = true };
        var remove = new Option<bool>("--remove") { Description = "Remove the cartridge from the library once the copy is on disk" };
        var export = new Command("export", "Copy a cartridge image out of the library (and remove it with --remove)") { serial, to, remove };
        export.SetLibraryAction(async (r, lib, ct) =>
        {
            string volser = r.GetValue(serial)!;
            bool removed = r.GetValue(remove);
            string path = await lib.ExportAsync(volser, r.GetValue(to)!.FullName, removed, ct).ConfigureAwait(false);
            console.Say(r, new { exported = volser, path, removed }, $"exported {volser} to {path}{(removed ? " and removed it from the library" : "")}");
        });
        tape.Subcommands.Add(export);

        var recycleSerial = new Argument<string>("volser") { Description = "Volume serial of the cartridge to recycle, e.g. SC0001" };
        var recycle = ServerConnection.Connection.WithOptions(
            new Command("recycle", "Label a cartridge again, empty, once the catalog lists no backup on it (through the server: --server)") { recycleSerial });
        // Always through the server: only it can tell whether its catalog still lists a backup on the cartridge.
        recycle.SetServerAction(async (r, client, ct) =>
        {
            var c = await client.RecycleCartridgeAsync(r.GetValue(recycleSerial)!, ct).ConfigureAwait(false);
            console.Say(r, c, $"recycled {c.VolumeSerial}: {c.State}, {ByteSize.Format(c.FreeBytes)} free");
        });
        tape.Subcommands.Add(recycle);

        var media = new Argument<string>("media-id") { Description = "The backup's media ID, VOLSER/SEQUENCE (e.g. SC0001/0001)" };
        var verify = new Command("verify", "Read a backup back and check its length and CRC-32C against its trailer") { media };
        verify.SetLibraryAction(async (r, lib, ct) =>
        {
            var result = await lib.VerifyAsync(r.GetValue(media)!, ct).ConfigureAwait(false);
            var json = new { mediaId = r.GetValue(media), ok = true, dataBytes = result.DataBytes, crc32C = result.Crc32C.ToString("X8"), volumes = result.Volumes };
            console.Say(r, json, $"{json.mediaId}: OK, {ByteSize.Format(result.DataBytes)} ({result.DataBytes} bytes), CRC-32C {json.crc32C}, on {string.Join(", ", result.Volumes)}");
        });
        tape.Subcommands.Add(verify);
        tape.Subcommands.Add(BenchCopy(console));
        return tape;
    }

    /// <summary>Hidden: copies a file to tape as a backup of a made-up source and prints the time taken.</summary>
    private static Command BenchCopy(CliConsole console)
    {
        var file = new Option<FileInfo>("--file") { Description = "The file to copy to tape", Required = true };
        var bench = new Command("bench-copy", "Time a copy of a file to tape (bench/tape.sh)") { file };
        bench.Hidden = true;
        bench.SetLibraryAction(async (r, lib, ct) =>
        {
            var f = r.GetValue(file)!;
            var info = new VolumeInfoRecord
            {
                Label = "bench", Host = "bench", MountPoint = "/bench", Timestamp = VolumeInfoRecord.TruncateToMicros(DateTimeOffset.UtcNow),
                Kind = BackupKind.Mirror, SourceDeviceId = "BENCH", SourceVolume = 1, BackupId = Guid.NewGuid(),
            };
            var source = new BackupDataRow
            {
                Host = info.Host, MountPoint = info.MountPoint, Kind = "mirror", DeviceId = "BENCH", MediaId = "1", Label = info.Label,
                Timestamp = info.Timestamp, BackupId = info.BackupId, VolumeInfo = info.Encode(), Origin = BackupOrigin.Backup,
            };
            var stream = new FileStream(f.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            await using var streamLifetime = stream.ConfigureAwait(false);
            var sw = Stopwatch.StartNew();
            var row = await new TapeCopy(lib).CopyToTapeAsync(stream, f.Length, source, source.VolumeInfo, null, ct).ConfigureAwait(false);
            sw.Stop();
            console.WriteJson(new { mediaId = row.MediaId, bytes = f.Length, seconds = sw.Elapsed.TotalSeconds });
        });
        return bench;
    }

    private static void SetLibraryAction(this Command command, Func<ParseResult, TapeLibrary, CancellationToken, Task> body) =>
        command.SetAction(async (r, ct) =>
        {
            using var lib = OpenLibrary(r, command);
            await body(r, lib, ct).ConfigureAwait(false);
            return 0;
        });

    private static TapeLibrary OpenLibrary(ParseResult r, Command command)
    {
        if (r.GetValue(Library) is not { } dir)
            throw new UsageException("tape.library_missing", $"'{command.Name}' needs --library DIR, the tape library directory" +
                (command.Name == "list" ? " (or --server URL for the backup server's library)" : ""));
        if (!dir.Exists && command.Name != "label")
            throw new Snapcat.Core.Errors.SnapcatException(Snapcat.Core.Errors.ErrorKind.NotFound, "tape.library_not_found",
                $"no tape library directory at {dir.FullName} ('snapcat tape label --library DIR' creates one)");
        return new TapeLibrary(new TapeLibraryConfig
        {
            LibraryId = r.GetValue(LibraryId)!, Directory = dir.FullName, Capacity = r.GetValue(Capacity)!, Slots = r.GetValue(Slots),
        });
    }
}
