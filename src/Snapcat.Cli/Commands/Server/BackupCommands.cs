using System.CommandLine;
using Snapcat.Core.Jobs;

namespace Snapcat.Cli.Commands.Server;

/// <summary><c>snapcat backup run|list|show|restore|delete|copy|copy-to-tape|verify|protect|unprotect</c>: backups in the catalog (FIG. 6) and the flows on them.</summary>
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
        backup.Subcommands.Add(VerifyCommands.Verifications(console));
        backup.Subcommands.Add(Protect(console));
        backup.Subcommands.Add(Unprotect(console));
        foreach (var c in ImportCommand.Build(console)) backup.Subcommands.Add(c);
        return backup;
    }

    private static Argument<long> Id() => new("id") { Description = "Backup ID (see 'snapcat backup list')" };

    /// <summary>A command that starts a job on one backup of the catalog, named by its ID.</summary>
    private static Command OnBackup(CliConsole console, string name, string description,
        Func<ParseResult, ServerClient, long, CancellationToken, Task<JobSnapshot>> start, params Option[] options)
    {
        var id = Id();
        var command = new Command(name, description) { id };
        foreach (var o in options) command.Options.Add(o);
        ServerJobCommands.Jobs.Starts(command, console, (r, client, ct) => start(r, client, r.GetValue(id), ct));
        return command;
    }

    private static Command Run(CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "Backup definition to run now" };
        var run = new Command("run", "Run a backup definition now (FIG. 9 mirror / FIG. 17 snapshot)") { name };
        ServerJobCommands.Jobs.Starts(run, console, (r, client, ct) => client.RunDefinitionAsync(r.GetValue(name)!, ct));
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
        var list = new Command("list", "Search the catalog, newest first") { host, mount, label, kind, device, from, to, limit };
        list.SetServerAction(async (r, client, ct) =>
        {
            var rows = await client.SearchBackupsAsync(new BackupDataFilter
            {
                Host = r.GetValue(host), MountPoint = r.GetValue(mount), Label = r.GetValue(label), Kind = r.GetValue(kind),
                DeviceId = r.GetValue(device), From = r.GetValue(from), To = r.GetValue(to), Limit = r.GetValue(limit),
            }, ct).ConfigureAwait(false);
            console.ShowList(r, rows, "no backups match; 'snapcat catalog rebuild' reads them back from the arrays", ServerTables.Backups);
        });
        return list;
    }

    private static Command Show(CliConsole console)
    {
        var id = Id();
        var show = new Command("show", "Show one backup of the catalog") { id };
        show.SetServerAction(async (r, client, ct) => console.Show(r, await client.GetBackupAsync(r.GetValue(id), ct).ConfigureAwait(false), ServerTables.Backup));
        return show;
    }

    private static Command Restore(CliConsole console)
    {
        var files = new Option<string[]>("--files") { Description = "Restore only these paths (relative to the volume's root) instead of the whole volume", AllowMultipleArgumentsPerToken = true };
        var destination = new Option<string>("--destination") { Description = "With --files: copy into this directory instead of the original mount point" };
        var pre = new Option<string>("--pre") { Description = "Preprocess hook name on the agent (e.g. unmount)" };
        var post = new Option<string>("--post") { Description = "Postprocess hook name on the agent (e.g. fsck and mount)" };
        var force = new Option<bool>("--force") { Description = "Restore the volume even while it has writers connected (tape: overwrite the source volume or a backup volume)" };
        var toDevice = new Option<string>("--to-device") { Description = "The array (device ID) of the volume to restore onto; default: the backup's source (primary) volume. With --files from tape: the array for the scratch volume (default: the backup's original array)" };
        var toVolume = new Option<uint?>("--to-volume") { Description = "The volume number on --to-device to restore onto (same size as the backup; not the backup volume itself)" };
        var restore = OnBackup(console, "restore",
            "Restore a backup through its host's agent: the whole volume (FIG. 12) or --files (FIG. 13); a tape backup into a volume, or --files from it through a scratch volume",
            (r, client, id, ct) =>
            {
                var f = r.GetValue(files);
                return client.RestoreAsync(id, new RestoreRequest(f is { Length: > 0 } ? f : null,
                    r.GetValue(destination), r.GetValue(pre), r.GetValue(post), r.GetValue(force), r.GetValue(toDevice), r.GetValue(toVolume)), ct);
            },
            files, destination, pre, post, force, toDevice, toVolume);
        restore.Validators.Add(c =>
        {
            if (c.Given(destination) && !c.Given(files)) c.AddError("--destination goes with --files (a whole volume is restored onto its own primary)");
            if (c.Given(files) && c.Given(toVolume))
                c.AddError("--files from a tape backup goes through a scratch volume the server makes; name at most its array with --to-device");
            else if (!c.Given(files) && c.Given(toDevice) != c.Given(toVolume))
                c.AddError("--to-device and --to-volume go together (the volume to restore onto)");
        });
        return restore;
    }

    private static Command Delete(CliConsole console) =>
        OnBackup(console, "delete", "Delete a backup: on the array first, then its catalog row (FIG. 14)", (_, client, id, ct) => client.DeleteBackupAsync(id, ct));

    private static Command Copy(CliConsole console)
    {
        var to = new Option<uint?>("--to") { Description = "Destination volume number on the same array" };
        var toArray = new Option<string>("--to-array") { Description = "Destination array device ID (another array)" };
        var port = CopyOptions.Port("With --to-array: data port of the destination volume there, host:port");
        var lun = new Option<uint?>("--lun") { Description = "With --to-array: LUN of the destination volume on that port" };
        var copy = OnBackup(console, "copy", "Copy a backup volume (data and volume information) to another volume and record the copy (FIG. 19)",
            (r, client, id, ct) => client.CopyBackupAsync(id, new CopyRequest(r.GetValue(to), r.GetValue(toArray), r.GetValue(port), r.GetValue(lun)), ct),
            to, toArray, port, lun);
        copy.Validators.Add(c =>
        {
            bool other = c.Given(toArray);
            if (!other && !c.Given(to)) c.AddError("name the destination: --to N (same array), or --to-array DEVICE --port HOST:PORT --lun L");
            if (other && (!c.Given(port) || !c.Given(lun))) c.AddError("--to-array needs --port and --lun of the destination volume on that array");
            if (other && c.Given(to)) c.AddError("--to names a volume of the same array; with --to-array give --port and --lun instead");
        });
        return copy;
    }

    private static Command CopyToTape(CliConsole console)
    {
        var move = new Option<bool>("--move") { Description = "Read the tape copy back, then delete the disk backup (only after the verification passed)" };
        return OnBackup(console, "copy-to-tape", "Copy a disk backup to the server's tape library through its host's agent and record the copy (FIG. 16)",
            (r, client, id, ct) => client.CopyToTapeAsync(id, new TapeCopyRequest(r.GetValue(move)), ct), move);
    }

    private static Command Protect(CliConsole console)
    {
        var id = Id();
        var until = new Option<DateTimeOffset?>("--until") { Description = "Protected until this time (ISO 8601, UTC unless a zone is given, e.g. 2027-01-31); default: until 'backup unprotect'" };
        var protect = new Command("protect", "Protect a backup: no prune and no 'backup delete' removes it (until --until passes)") { id, until };
        protect.SetServerAction(async (r, client, ct) => console.Show(r,
            await client.ProtectBackupAsync(r.GetValue(id), r.GetValue(until), ct).ConfigureAwait(false), ServerTables.Backup));
        return protect;
    }

    private static Command Unprotect(CliConsole console)
    {
        var id = Id();
        var unprotect = new Command("unprotect", "Lift a backup's protection: prune and 'backup delete' may remove it again") { id };
        unprotect.SetServerAction(async (r, client, ct) => console.Show(r,
            await client.UnprotectBackupAsync(r.GetValue(id), ct).ConfigureAwait(false), ServerTables.Backup));
        return unprotect;
    }

    private static Command Verify(CliConsole console) =>
        OnBackup(console, "verify", "Verify a backup's data against its content digest: a disk backup on its array (no data over the network), " +
            "a tape backup by reading it back; a mismatch fails with digest.mismatch (docs/verify.md)",
            (_, client, id, ct) => client.StartBackupVerifyAsync(id, ct));
}
