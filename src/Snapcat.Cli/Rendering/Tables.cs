using Snapcat.Array.Api;
using Snapcat.Core.Units;
using Spectre.Console;

namespace Snapcat.Cli;

/// <summary>Spectre tables for the array's listings. Cell text is escaped: labels come from users.</summary>
public static class Tables
{
    public static Table Volumes(IEnumerable<VolumeDto> volumes)
    {
        var t = new Table().AddColumns("Volume", "Size", "Allocated", "Kind", "Assignments", "Volume information");
        t.Columns[0].RightAligned();
        t.Columns[1].RightAligned();
        t.Columns[2].RightAligned();
        foreach (var v in volumes)
        {
            string info = v.VolumeInfo is not null ? VolumeInfoView.FromBase64(v.VolumeInfo).Summary() : v.HasVolumeInfo ? "present" : "-";
            t.AddRow(Cell(v.Number.ToString()), Cell(ByteSize.Format(v.Size)), Cell(ByteSize.Format(v.AllocatedBytes)),
                Cell(Kind(v)), Cell(Assignments(v.Assignments)), Cell(info));
        }
        return t;
    }

    public static Table Volume(VolumeDto v, VolumeInfoView info)
    {
        var t = new Table().HideHeaders().AddColumns("Field", "Value");
        t.AddRow(Cell("Volume"), Cell(v.Number.ToString()));
        t.AddRow(Cell("Size"), Cell($"{ByteSize.Format(v.Size)} ({v.Size} bytes)"));
        t.AddRow(Cell("Allocated"), Cell($"{ByteSize.Format(v.AllocatedBytes)} ({v.AllocatedBytes} bytes)"));
        t.AddRow(Cell("Kind"), Cell(Kind(v)));
        t.AddRow(Cell("Created"), Cell(v.Created.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'")));
        t.AddRow(Cell("Assignments"), Cell(v.Assignments.Count == 0 ? "-" : string.Join("\n", v.Assignments.Select(Assignment))));
        t.AddRow(Cell("Mirror destinations"), Cell(v.MirrorDestinations.Count == 0 ? "-" : string.Join(", ", v.MirrorDestinations)));
        t.AddRow(Cell("Snapshots"), Cell(v.Snapshots.Count == 0 ? "-" : string.Join(", ", v.Snapshots)));
        AddInfoRows(t, info);
        return t;
    }

    public static Table Info(uint number, VolumeInfoView info)
    {
        var t = new Table().HideHeaders().AddColumns("Field", "Value");
        t.AddRow(Cell("Volume"), Cell(number.ToString()));
        AddInfoRows(t, info);
        return t;
    }

    public static Table Infos(VolumeInfoListing listing)
    {
        var t = new Table().AddColumns("Volume", "Size", "Kind", "Label", "Host", "Mount point", "Time stamp (UTC)", "Backup", "Source");
        t.Title = new TableTitle("Volume information on " + Markup.Escape(listing.DeviceId));
        foreach (var e in listing.Volumes)
        {
            var i = VolumeInfoView.FromBase64(e.VolumeInfo);
            if (!i.Valid)
            {
                t.AddRow(Cell(e.Number.ToString()), Cell(ByteSize.Format(e.Size)), Cell(e.Kind), Cell(i.Present ? "invalid: " + i.Invalid : "-"),
                    Cell(""), Cell(""), Cell(""), Cell(""), Cell(""));
                continue;
            }
            t.AddRow(Cell(e.Number.ToString()), Cell(ByteSize.Format(e.Size)), Cell(e.Kind), Cell(i.Label!), Cell(i.Host!), Cell(i.MountPoint!),
                Cell($"{i.Timestamp:yyyy-MM-dd HH:mm:ss}"), Cell(i.Kind!.Value.ToString().ToLowerInvariant()), Cell($"{i.SourceDeviceId}/{i.SourceVolume}"));
        }
        return t;
    }

    public static Table Array(ArrayInfo a)
    {
        var t = new Table().HideHeaders().AddColumns("Field", "Value");
        t.AddRow(Cell("Device ID"), Cell(a.DeviceId));
        t.AddRow(Cell("Version"), Cell(a.Version));
        t.AddRow(Cell("Data ports"), Cell(a.DataPorts.Count == 0 ? "-" : string.Join("\n", a.DataPorts.Select(p => p.Address))));
        t.AddRow(Cell("Volumes"), Cell(a.VolumeCount.ToString()));
        return t;
    }

    public static string Assignment(AssignmentDto a) => $"{a.Port} LUN {a.Lun}" + (a.ReadOnly ? " (read-only)" : "");

    private static string Assignments(IReadOnlyList<AssignmentDto> list) => list.Count == 0 ? "-" : string.Join("\n", list.Select(Assignment));

    private static string Kind(VolumeDto v) => v.SourceVolume is { } src ? $"{v.Kind} of {src}" : v.Kind;

    private static void AddInfoRows(Table t, VolumeInfoView info)
    {
        if (!info.Present)
        {
            t.AddRow(Cell("Volume information"), Cell("none"));
            return;
        }
        if (!info.Valid)
        {
            t.AddRow(Cell("Volume information"), new Markup("[red]invalid:[/] " + Markup.Escape(info.Invalid ?? "")));
            return;
        }
        t.AddRow(Cell("Label"), Cell(info.Label!));
        t.AddRow(Cell("Host"), Cell(info.Host!));
        t.AddRow(Cell("Mount point"), Cell(info.MountPoint!));
        t.AddRow(Cell("Time stamp"), Cell(info.Timestamp!.Value.ToString("yyyy-MM-dd HH:mm:ss.ffffff'Z'")));
        t.AddRow(Cell("Backup kind"), Cell(info.Kind!.Value.ToString().ToLowerInvariant()));
        t.AddRow(Cell("Source"), Cell($"device {info.SourceDeviceId}, volume {info.SourceVolume}"));
        t.AddRow(Cell("Backup ID"), Cell(info.BackupId!.Value.ToString()));
        t.AddRow(Cell("Origin"), Cell(info.Origin?.ToString().ToLowerInvariant() ?? "-"));
        t.AddRow(Cell("Definition"), Cell(info.Definition is { Length: > 0 } d ? d : "-"));
        t.AddRow(Cell("Catalog number"), Cell(info.CatalogNumber is > 0 ? info.CatalogNumber.Value.ToString() : "-"));
        t.AddRow(Cell("Format version"), Cell(info.FormatVersion?.ToString() ?? "-"));
    }

    private static Text Cell(string text) => new(text);
}
