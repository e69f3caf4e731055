using Snapcat.Core.Units;
using Snapcat.Server.Tape;
using Spectre.Console;

namespace Snapcat.Cli;

/// <summary>The cartridge listing: one row per cartridge, its backups one per line (media ID first, for <c>verify</c>).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class TapeTables
{
    public static Table Cartridges(IEnumerable<CartridgeSummary> cartridges)
    {
        var t = new Table().AddColumns("Cartridge", "State", "Used", "Free", "Backups (media ID, label, host:mount point, time stamp UTC, kind)");
        t.Columns[2].RightAligned();
        t.Columns[3].RightAligned();
        foreach (var c in cartridges)
        {
            string state = c.Error is null ? c.State : $"{c.State}: {c.Error}";
            if (c.ContinuedSections > 0) state += $"\n(+{c.ContinuedSections} continued section(s))";
            if (c.TailCuts is { Count: > 0 } cuts)
            {
                var last = cuts[^1];
                state += $"\ntail cut {last.At:yyyy-MM-dd HH:mm:ss}: {ByteSize.Format(last.BytesBefore - last.BytesAfter)}, kept {last.KeptFiles} file(s)";
            }
            string backups = c.Backups.Count == 0 ? "-" : string.Join("\n", c.Backups.Select(Backup));
            t.AddRow(Cell(c.VolumeSerial), Cell(state), Cell(ByteSize.Format(c.ImageBytes)), Cell(ByteSize.Format(c.FreeBytes)), Cell(backups));
        }
        return t;
    }

    private static string Backup(TapeBackupEntry b)
    {
        if (b.BackupId is null)
            return $"{b.MediaId} invalid: {b.Problem}";
        string line = $"{b.MediaId} {b.Label} {b.Host}:{b.MountPoint} {b.Timestamp:yyyy-MM-dd HH:mm:ss} {b.Kind}";
        if (b.Volumes.Count > 1) line += $" (on {string.Join(", ", b.Volumes)})";
        if (b.Problem is not null) line += $" INCOMPLETE: {b.Problem}";
        return line;
    }

    private static Text Cell(string text) => new(text);
}
