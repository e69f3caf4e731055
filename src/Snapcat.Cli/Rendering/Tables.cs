using Snapcat.Core.Json;
using Snapcat.Core.Units;
using Spectre.Console;
using static Snapcat.Cli.Rendering.Cells;

namespace Snapcat.Cli.Rendering;

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
        var t = Fields().Field("Volume", v.Number.ToString()).Field("Size", $"{ByteSize.Format(v.Size)} ({v.Size} bytes)")
            .Field("Allocated", $"{ByteSize.Format(v.AllocatedBytes)} ({v.AllocatedBytes} bytes)").Field("Kind", Kind(v)).Field("Created", Time(v.Created))
            .Field("Assignments", Assignments(v.Assignments))
            .Field("Mirror destinations", v.MirrorDestinations.Count == 0 ? "-" : string.Join(", ", v.MirrorDestinations))
            .Field("Snapshots", v.Snapshots.Count == 0 ? "-" : string.Join(", ", v.Snapshots));
        AddInfoRows(t, info);
        return t;
    }

    public static Table Info(uint number, VolumeInfoView info)
    {
        var t = Fields().Field("Volume", number.ToString());
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
                Cell($"{i.Timestamp:yyyy-MM-dd HH:mm:ss}"), Cell(SnapcatJson.Name(i.Kind!.Value)), Cell($"{i.SourceDeviceId}/{i.SourceVolume}"));
        }
        return t;
    }

    public static Table Array(ArrayInfo a) =>
        Fields().Field("Device ID", a.DeviceId).Field("Version", a.Version)
            .Field("Data ports", a.DataPorts.Count == 0 ? "-" : string.Join("\n", a.DataPorts.Select(p => p.Address))).Field("Volumes", a.VolumeCount.ToString());

    public static string Assignment(AssignmentDto a) => $"{a.Port} LUN {a.Lun}" + (a.ReadOnly ? " (read-only)" : "")
        + (a.AllowedIdentities is { } ids ? $" (only {string.Join(", ", ids)})" : "");

    private static string Assignments(IReadOnlyList<AssignmentDto> list) => list.Count == 0 ? "-" : string.Join("\n", list.Select(Assignment));

    private static string Kind(VolumeDto v) => v.SourceVolume is { } src ? $"{v.Kind} of {src}" : v.Kind;

    private static void AddInfoRows(Table t, VolumeInfoView info)
    {
        if (!info.Present)
        {
            t.Field("Volume information", "none");
            return;
        }
        if (!info.Valid)
        {
            t.Field("Volume information", new Markup("[red]invalid:[/] " + Markup.Escape(info.Invalid ?? "")));
            return;
        }
        t.Field("Label", info.Label).Field("Host", info.Host).Field("Mount point", info.MountPoint)
            .Field("Time stamp", info.Timestamp!.Value.ToString("yyyy-MM-dd HH:mm:ss.ffffff'Z'"))
            .Field("Backup kind", SnapcatJson.Name(info.Kind!.Value))
            .Field("Source", $"device {info.SourceDeviceId}, volume {info.SourceVolume}").Field("Backup ID", info.BackupId!.Value.ToString())
            .Field("Origin", info.Origin is { } origin ? SnapcatJson.Name(origin) : null).Field("Definition", info.Definition is { Length: > 0 } d ? d : null)
            .Field("Catalog number", info.CatalogNumber is > 0 ? info.CatalogNumber.Value.ToString() : null).Field("Format version", info.FormatVersion?.ToString());
    }
}
