using System.CommandLine;

namespace Snapcat.Cli.Commands.Array;

/// <summary>
/// <c>snapcat array copy|restore|volume-copy</c>: orders that the array runs as jobs (mirror copy,
/// FIG. 10; restore, FIG. 12; volume copy, FIG. 19). Without <c>--wait</c> they print the job and return.
/// </summary>
public static class CopyCommands
{
    public static IEnumerable<Command> Build(CliConsole console)
    {
        yield return Copy(console);
        yield return Restore(console);
        yield return VolumeCopy(console);
    }

    private static Command Copy(CliConsole console)
    {
        var primary = new Option<uint>("--primary") { Description = "Primary volume number" };
        var port = CopyOptions.Port("Data port of the primary, host:port (instead of --primary)");
        var lun = CopyOptions.Lun();
        var to = new Option<uint>("--to") { Description = "Secondary volume number; must be in the primary's copy destination list", Required = true };
        var copy = new Command("copy", "Copy a primary to one of its copy destinations as it is now (point in time; only changes after the first copy)")
        {
            primary, port, lun, to,
        };
        CopyOptions.RequireNumberOrPortLun(copy, primary, port, lun, "the primary");
        ArrayCommand.Jobs.Starts(copy, console, (r, client, ct) => client.StartCopyAsync(r.GetValue(port) is { } p
            ? new CopyOrder(null, p, r.GetValue(lun), r.GetValue(to))
            : new CopyOrder(r.GetValue(primary), null, null, r.GetValue(to)), ct), timeout: true);
        return copy;
    }

    private static Command Restore(CliConsole console)
    {
        var from = new Option<uint>("--from") { Description = "Backup volume to restore from: a mirror secondary, or a snapshot", Required = true };
        var primary = new Option<uint>("--primary") { Description = "The primary to restore onto, when several primaries list the secondary" };
        var force = new Option<bool>("--force") { Description = "Restore even while hosts have the primary open for writing" };
        var restore = new Command("restore", "Copy a secondary back onto its primary, or roll a volume back to a snapshot") { from, primary, force };
        ArrayCommand.Jobs.Starts(restore, console, (r, client, ct) => client.StartRestoreAsync(
            new RestoreOrder(r.GetValue(from), r.GetResult(primary) is { Implicit: false } ? r.GetValue(primary) : null, r.GetValue(force)), ct), timeout: true);
        return restore;
    }

    private static Command VolumeCopy(CliConsole console)
    {
        var from = new Option<uint>("--from") { Description = "Volume to copy (data and volume information)", Required = true };
        var to = new Option<uint>("--to") { Description = "Destination volume of this array (same size)" };
        var device = new Option<string>("--device") { Description = "Device ID of the destination array (one of this array's configured peers)" };
        var port = CopyOptions.Port("Data port of the destination array, host:port");
        var lun = CopyOptions.Lun();
        var copy = new Command("volume-copy",
            "Copy a volume's data and then its volume information to another volume of this array, or to a port/LUN of another array")
        {
            from, to, device, port, lun,
        };
        copy.Validators.Add(r =>
        {
            bool local = r.Given(to), remote = r.Given(device) || r.Given(port) || r.Given(lun);
            if (local && remote)
                r.AddError("name the destination either by --to or by --device, --port and --lun, not both");
            else if (!local && !remote)
                r.AddError("name the destination: --to N (this array), or --device D --port P --lun L (another array)");
            else if (remote && !(r.Given(device) && r.Given(port) && r.Given(lun)))
                r.AddError("a destination on another array needs all of --device, --port and --lun");
            else if (local && r.GetValue(to) == r.GetValue(from))
                r.AddError($"--to {r.GetValue(to)} is the source itself; name another volume");
        });
        ArrayCommand.Jobs.Starts(copy, console, (r, client, ct) => client.StartVolumeCopyAsync(r.GetValue(device) is { } d
            ? new VolumeCopyOrder(r.GetValue(from), null, d, r.GetValue(port), r.GetValue(lun))
            : new VolumeCopyOrder(r.GetValue(from), r.GetValue(to)), ct), timeout: true);
        return copy;
    }
}
