using Snapcat.Core.Units;
using Snapcat.Server.Tape;
using Spectre.Console;

namespace Snapcat.Cli;

/// <summary>The cartridge listing: one row per cartridge, then one row per backup starting on it.</summary>
public static class TapeTables
{
    public static Table Cartridges(IEnumerable<CartridgeSummary> cartridges)
    {
        var t = new Table().AddColumns("Cartridge", "State", "Used", "Free", "Media ID", "Label", "Host", "Mount point", "Time stamp (UTC)", "Kind", "On cartridges");
        foreach (var c in cartridges)
        {
            string state = c.Error is null ? c.State : $"{c.State}: {c.Error}";
            string cont = c.ContinuedSections > 0 ? $" (+{c.ContinuedSections} continued)" : "";
            t.AddRow(Cell(c.VolumeSerial), Cell(state + cont), Cell(ByteSize.Format(c.ImageBytes)), Cell(ByteSize.Format(c.FreeBytes)),
                Cell(c.Backups.Count == 0 ? "-" : ""), Cell(""), Cell(""), Cell(""), Cell(""), Cell(""), Cell(""));
            foreach (var b in c.Backups)
            {
                if (b.Problem is not null && b.BackupId is null)
                {
                    t.AddRow(Cell(""), Cell(""), Cell(""), Cell(""), Cell(b.MediaId), Cell("invalid: " + b.Problem), Cell(""), Cell(""), Cell(""), Cell(""), Cell(string.Join(", ", b.Volumes)));
                    continue;
                }
                string labelText = b.Problem is null ? b.Label! : $"{b.Label} (incomplete: {b.Problem})";
                t.AddRow(Cell(""), Cell(""), Cell(""), Cell(""), Cell(b.MediaId), Cell(labelText), Cell(b.Host!), Cell(b.MountPoint!),
                    Cell($"{b.Timestamp:yyyy-MM-dd HH:mm:ss}"), Cell(b.Kind!), Cell(string.Join(", ", b.Volumes)));
            }
        }
        return t;
    }

    private static Text Cell(string text) => new(text);
}
