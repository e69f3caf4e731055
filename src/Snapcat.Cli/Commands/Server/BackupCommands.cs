using System.CommandLine;
using Snapcat.Server.Api;
using Snapcat.Server.Catalog;
using Spectre.Console;

namespace Snapcat.Cli;

/// <summary><c>snapcat backup run|list|show|restore|delete|copy|copy-to-tape|verify</c>: backups in the catalog (FIG. 6) and the flows on them.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class BackupCommands
{
    public static Command Build(CliConsole console)
    {
        var backup = new Command("backup", "Run backups, search the catalog, restore, delete and copy backups").WithConnection();
        backup.Subcommands.Add(Run(console));
        backup.Subcommands.Add(List(console));
        backup.Subcommands.Add(Show(console));
        backup.Subcommands.Add(Restore(console));
        backup.Subcommands.Add(Delete(console));
        backup.Subcommands.Add(Copy(console));
        backup.Subcommands.Add(CopyToTape(console));
        backup.Subcommands.Add(Verify(console));
        return backup;
    }

    private static Argument<long> Id() => new("id") { Description = "Backup ID (see 'snapcat backup list')" };

    private static Command Run(CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "Backup definition to run now" };
        var wait = CopyOptions.Wait();
        var run = new Command("run", "Run a backup definition now (FIG. 9 mirror / FIG. 17 snapshot)");
        run.Arguments.Add(name);
        run.Options.Add(wait);
        run.SetServerAction(async (r, client, ct) =>
        {
            var job = await client.RunDefinitionAsync(r.GetValue(name)!, ct);
            await ServerJobRunner.ReportAsync(console, r.Json(), client, job, r.GetValue(wait), null, ct);
        });
        return run;
    }

    private static Command List(CliConsole console)
    {
        var host = new Option<string>("--host") { Description = "Only backups of this host" };
        var mount = new Option<string>("--mount-point") { Description = "Only backups of this mount point" };
        var label = new Option<string>("--label") { Description = "Only backups with this label" };
        var kind = new Option<string>("--kind") { Description = "mirror, snapshot, copy or tape" };
        var device = new Option<string>("--device") { Description = "Only backups on this array (device ID)" };
        var from = new Option<DateTimeOffset?>("--from") { Description = "Taken at or after this time (ISO 8601, UTC unless a zone is given)" };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Taken before this time" };
        var limit = new Option<int>("--limit") { Description = "At most this many rows (default 100)", DefaultValueFactory = _ => 100 };
        var list = new Command("list", "Search the catalog, newest first");
        foreach (var o in new Option[] { host, mount, label, kind, device, from, to, limit }) list.Options.Add(o);
        list.SetServerAction(async (r, client, ct) =>
        {
            var rows = await client.SearchBackupsAsync(new BackupDataFilter
            {
                Host = r.GetValue(host), MountPoint = r.GetValue(mount), Label = r.GetValue(label), Kind = r.GetValue(kind),
                DeviceId = r.GetValue(device), From = r.GetValue(from), To = r.GetValue(to), Limit = r.GetValue(limit),
            }, ct);
            if (r.Json()) console.WriteJson(rows);
            else if (rows.Count == 0) console.Ui.WriteLine("no backups match; 'snapcat catalog rebuild' reads them back from the arrays");
            else console.Ui.Write(ServerTables.Backups(rows));
        });
        return list;
    }

    private static Command Show(CliConsole console)
    {
        var id = Id();
        var show = new Command("show", "Show one backup of the catalog");
        show.Arguments.Add(id);
        show.SetServerAction(async (r, client, ct) =>
        {
            var b = await client.GetBackupAsync(r.GetValue(id), ct);
            if (r.Json()) console.WriteJson(b);
            else console.Ui.Write(ServerTables.Backup(b));
        });
        return show;
    }

    private static Command Restore(CliConsole console)
    {
        var id = Id();
        var files = new Option<string[]>("--files") { Description = "Restore only these paths (relative to the volume's root) instead of the whole volume", AllowMultipleArgumentsPerToken = true };
        var destination = new Option<string>("--destination") { Description = "With --files: copy into this directory instead of the original mount point" };
        var pre = new Option<string>("--pre") { Description = "Preprocess hook name on the agent (e.g. unmount)" };
        var post = new Option<string>("--post") { Description = "Postprocess hook name on the agent (e.g. fsck and mount)" };
        var force = new Option<bool>("--force") { Description = "Restore the volume even while it has writers connected (tape: overwrite the source volume or a backup volume)" };
        var toDevice = new Option<string>("--to-device") { Description = "The array (device ID) of the volume to restore onto; default: the backup's source (primary) volume. With --files from tape: the array for the scratch volume (default: the backup's original array)" };
        var toVolume = new Option<uint?>("--to-volume") { Description = "The volume number on --to-device to restore onto (same size as the backup; not the backup volume itself)" };
        var wait = CopyOptions.Wait();
        var restore = new Command("restore", "Restore a backup through its host's agent: the whole volume (FIG. 12) or --files (FIG. 13); a tape backup into a volume, or --files from it through a scratch volume");
        restore.Arguments.Add(id);
        foreach (var o in new Option[] { files, destination, pre, post, force, toDevice, toVolume, wait }) restore.Options.Add(o);
        restore.Validators.Add(c =>
        {
            if (c.Given(destination) && !c.Given(files)) c.AddError("--destination goes with --files (a whole volume is restored onto its own primary)");
            if (c.Given(files) && c.Given(toVolume))
                c.AddError("--files from a tape backup goes through a scratch volume the server makes; name at most its array with --to-device");
            else if (!c.Given(files) && c.Given(toDevice) != c.Given(toVolume))
                c.AddError("--to-device and --to-volume go together (the volume to restore onto)");
        });
        restore.SetServerAction(async (r, client, ct) =>
        {
            var f = r.GetValue(files);
            var job = await client.RestoreAsync(r.GetValue(id), new RestoreRequest(f is { Length: > 0 } ? f : null,
                r.GetValue(destination), r.GetValue(pre), r.GetValue(post), r.GetValue(force), r.GetValue(toDevice), r.GetValue(toVolume)), ct);
            await ServerJobRunner.ReportAsync(console, r.Json(), client, job, r.GetValue(wait), null, ct);
        });
        return restore;
    }

    private static Command Delete(CliConsole console)
    {
        var id = Id();
        var wait = CopyOptions.Wait();
        var delete = new Command("delete", "Delete a backup: on the array first, then its catalog row (FIG. 14)");
        delete.Arguments.Add(id);
        delete.Options.Add(wait);
        delete.SetServerAction(async (r, client, ct) =>
        {
            var job = await client.DeleteBackupAsync(r.GetValue(id), ct);
            await ServerJobRunner.ReportAsync(console, r.Json(), client, job, r.GetValue(wait), null, ct);
        });
        return delete;
    }

    private static Command Copy(CliConsole console)
    {
        var id = Id();
        var to = new Option<uint?>("--to") { Description = "Destination volume number on the same array" };
        var toArray = new Option<string>("--to-array") { Description = "Destination array device ID (another array)" };
        var port = CopyOptions.Port("With --to-array: data port of the destination volume there, host:port");
        var lun = new Option<uint?>("--lun") { Description = "With --to-array: LUN of the destination volume on that port" };
        var wait = CopyOptions.Wait();
        var copy = new Command("copy", "Copy a backup volume (data and volume information) to another volume and record the copy (FIG. 19)");
        copy.Arguments.Add(id);
        foreach (var o in new Option[] { to, toArray, port, lun, wait }) copy.Options.Add(o);
        copy.Validators.Add(c =>
        {
            bool other = c.Given(toArray);
            if (!other && !c.Given(to)) c.AddError("name the destination: --to N (same array), or --to-array DEVICE --port HOST:PORT --lun L");
            if (other && (!c.Given(port) || !c.Given(lun))) c.AddError("--to-array needs --port and --lun of the destination volume on that array");
            if (other && c.Given(to)) c.AddError("--to names a volume of the same array; with --to-array give --port and --lun instead");
        });
        copy.SetServerAction(async (r, client, ct) =>
        {
            var job = await client.CopyBackupAsync(r.GetValue(id), new CopyRequest(r.GetValue(to), r.GetValue(toArray), r.GetValue(port), r.GetValue(lun)), ct);
            await ServerJobRunner.ReportAsync(console, r.Json(), client, job, r.GetValue(wait), null, ct);
        });
        return copy;
    }

    private static Command CopyToTape(CliConsole console)
    {
        var id = Id();
        var move = new Option<bool>("--move") { Description = "Read the tape copy back, then delete the disk backup (only after the verification passed)" };
        var wait = CopyOptions.Wait();
        var command = new Command("copy-to-tape", "Copy a disk backup to the server's tape library through its host's agent and record the copy (FIG. 16)");
        command.Arguments.Add(id);
        command.Options.Add(move);
        command.Options.Add(wait);
        command.SetServerAction(async (r, client, ct) =>
        {
            var job = await client.CopyToTapeAsync(r.GetValue(id), new TapeCopyRequest(r.GetValue(move)), ct);
            await ServerJobRunner.ReportAsync(console, r.Json(), client, job, r.GetValue(wait), null, ct);
        });
        return command;
    }

    private static Command Verify(CliConsole console)
    {
        var id = Id();
        var wait = CopyOptions.Wait();
        var command = new Command("verify", "Read a tape backup back and check its length and CRC-32C against what was recorded at copy time");
        command.Arguments.Add(id);
        command.Options.Add(wait);
        command.SetServerAction(async (r, client, ct) =>
        {
            var job = await client.VerifyBackupAsync(r.GetValue(id), ct);
            await ServerJobRunner.ReportAsync(console, r.Json(), client, job, r.GetValue(wait), null, ct);
        });
        return command;
    }
}
