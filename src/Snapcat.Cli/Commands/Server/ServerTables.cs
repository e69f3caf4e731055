using Snapcat.Server.Api;
using Snapcat.Server.Flows;
using Spectre.Console;

namespace Snapcat.Cli;

/// <summary>Spectre tables for the backup server's listings. Cell text is escaped: names and labels come from users.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class ServerTables
{
    private static Markup Cell(string? s) => new(Markup.Escape(s ?? "-"));

    private static string T(DateTimeOffset? t) => t is { } v ? v.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'") : "-";

    public static Table Server(ServerInfo i)
    {
        var t = new Table().HideHeaders().AddColumns("Field", "Value");
        t.AddRow(Cell("Version"), Cell(i.Version));
        t.AddRow(Cell("Catalog"), Cell(i.Catalog));
        t.AddRow(Cell("Hosts (agents)"), Cell(i.Hosts.Count == 0 ? "none" : string.Join(", ", i.Hosts)));
        t.AddRow(Cell("Arrays"), Cell(i.Arrays.Count == 0 ? "none" : string.Join(", ", i.Arrays)));
        t.AddRow(Cell("Definitions"), Cell(i.Definitions.ToString()));
        t.AddRow(Cell("Backups"), Cell(i.Backups.ToString()));
        foreach (var p in i.Reachability ?? [])
            t.AddRow(Cell($"{(p.Kind == "array" ? "Array" : "Agent")} {p.Name}"), p.Reachable
                ? new Markup($"[green]reachable[/] {Markup.Escape(p.Url ?? "")} {Markup.Escape(p.Detail ?? "")}")
                : new Markup($"[red]unreachable[/]: {Markup.Escape(p.Error ?? "no reason given")}"));
        return t;
    }

    public static Table Definitions(IEnumerable<DefinitionDto> list)
    {
        var t = new Table().AddColumns("Name", "Host", "Mount point", "Kind", "Destination", "Label", "Schedule", "Next run (UTC)", "State");
        foreach (var d in list)
            t.AddRow(Cell(d.Name), Cell(d.Host), Cell(d.MountPoint), Cell(d.Kind), Cell(Destination(d)), Cell(d.Label),
                Cell(d.Schedule is null ? "by hand" : $"{d.Schedule} ({d.TimeZone})"), Cell(T(d.NextRun)), Cell(d.Running ? "running" : "idle"));
        return t;
    }

    public static Table Definition(DefinitionDto d)
    {
        var t = new Table().HideHeaders().AddColumns("Field", "Value");
        t.AddRow(Cell("Name"), Cell(d.Name));
        t.AddRow(Cell("Host"), Cell(d.Host));
        t.AddRow(Cell("Mount point"), Cell(d.MountPoint));
        t.AddRow(Cell("Kind"), Cell(d.Kind));
        t.AddRow(Cell("Destination"), Cell(Destination(d)));
        t.AddRow(Cell("Label"), Cell(d.Label));
        t.AddRow(Cell("Preprocess"), Cell(d.PreHook));
        t.AddRow(Cell("Postprocess"), Cell(d.PostHook));
        if (d.PreOnly == true) t.AddRow(Cell("Pre-only"), Cell("yes: a preprocess without postprocess, on purpose"));
        t.AddRow(Cell("Schedule"), Cell(d.Schedule is null ? "by hand only" : $"{d.Schedule} ({d.TimeZone})"));
        t.AddRow(Cell("Missed runs"), Cell(d.MissedRuns));
        if (d.KeepGenerations is { } k) t.AddRow(Cell("Keep generations"), Cell(k.ToString()));
        t.AddRow(Cell("Next run"), Cell(T(d.NextRun)));
        t.AddRow(Cell("Last scheduled"), Cell(T(d.LastFire)));
        t.AddRow(Cell("Created"), Cell(T(d.Created)));
        t.AddRow(Cell("State"), Cell(d.Running ? "running" : "idle"));
        return t;
    }

    private static string Destination(DefinitionDto d) => d.DestinationVolume is { } v ? $"{d.DeviceId} volume {v}" : d.DeviceId;

    public static Table Backups(IEnumerable<BackupDto> list)
    {
        var t = new Table().AddColumns("ID", "Host", "Mount point", "Kind", "Device", "Media", "Label", "Time stamp (UTC)", "Origin");
        t.Columns[0].RightAligned();
        foreach (var b in list)
            t.AddRow(Cell(b.Id.ToString()), Cell(b.Host), Cell(b.MountPoint), Cell(b.Kind), Cell(b.DeviceId), Cell(b.MediaId),
                Cell(b.Label), Cell(T(b.Timestamp)), Cell(b.Origin));
        return t;
    }

    public static Table Backup(BackupDto b)
    {
        var t = new Table().HideHeaders().AddColumns("Field", "Value");
        t.AddRow(Cell("ID"), Cell(b.Id.ToString()));
        t.AddRow(Cell("Host"), Cell(b.Host));
        t.AddRow(Cell("Mount point"), Cell(b.MountPoint));
        t.AddRow(Cell("Kind"), Cell(b.Kind));
        t.AddRow(Cell("Where"), Cell($"{b.DeviceId} volume {b.MediaId}"));
        t.AddRow(Cell("Label"), Cell(b.Label));
        t.AddRow(Cell("Time stamp"), Cell(T(b.Timestamp)));
        t.AddRow(Cell("Backup ID"), Cell(b.BackupId.ToString()));
        t.AddRow(Cell("Origin"), Cell(b.Origin));
        t.AddRow(Cell("Recorded"), Cell(T(b.Recorded)));
        return t;
    }

    public static Table Rebuild(RebuildReport r)
    {
        var t = new Table().AddColumns("Array", "Volumes", "Added", "Already there", "Updated", "Invalid", "No volume information", "Orphan snapshots", "Catalog rows not on array");
        foreach (var a in r.Arrays)
        {
            if (a.Error is not null)
            {
                t.AddRow(Cell(a.DeviceId), Cell("-"), Cell("-"), Cell("-"), Cell("-"), Cell("not read: " + a.Error), Cell("-"), Cell("-"), Cell("-"));
                continue;
            }
            t.AddRow(Cell(a.DeviceId), Cell(a.Volumes.ToString()), Cell(List(a.Added)), Cell(List(a.Unchanged)), Cell(List(a.Updated)),
                Cell(a.Invalid.Count == 0 ? "-" : string.Join("\n", a.Invalid.Select(i => $"{i.Volume}: {i.Reason}"))),
                Cell(List(a.WithoutVolumeInfo)), Cell(List(a.Orphans ?? [])), Cell(a.CatalogRowsNotOnArray.Count == 0 ? "-" : string.Join(", ", a.CatalogRowsNotOnArray)));
        }
        if (r.Tapes is { } tp)
        {
            // The tape library in the same table: media IDs (VOLSER/NNNN) where the arrays show volume numbers.
            static string Items(IReadOnlyList<Snapcat.Server.Tape.RebuildItem> l) =>
                l.Count == 0 ? "-" : $"{l.Count} ({string.Join(", ", l.Take(20).Select(i => i.Where))}{(l.Count > 20 ? ", …" : "")})";
            int found = tp.Added.Count + tp.Unchanged.Count + tp.Updated.Count + tp.Invalid.Count;
            t.AddRow(Cell(tp.DeviceId + " (tapes)"), Cell(found.ToString()), Cell(Items(tp.Added)), Cell(Items(tp.Unchanged)), Cell(Items(tp.Updated)),
                Cell(tp.Invalid.Count == 0 ? "-" : string.Join("\n", tp.Invalid.Select(i => $"{i.Where}: {i.Reason}"))), Cell("-"), Cell("-"), Cell("-"));
        }
        return t;
    }

    private static string List(IReadOnlyList<uint> l) => l.Count == 0 ? "-" : $"{l.Count} ({string.Join(", ", l.Take(20))}{(l.Count > 20 ? ", …" : "")})";

    public static Table ScheduleEvents(IEnumerable<ScheduleEventDto> events)
    {
        var t = new Table().AddColumns("Time (UTC)", "Definition", "What", "Detail");
        foreach (var e in events) t.AddRow(Cell(T(e.Time)), Cell(e.Definition), Cell(e.What), Cell(e.Detail));
        return t;
    }
}
