using Snapcat.Core.Units;
using Spectre.Console;
using static Snapcat.Cli.Rendering.Cells;

namespace Snapcat.Cli.Rendering;

/// <summary>Spectre tables for the backup server's listings, and the cartridges of a tape library (offline or the server's).</summary>
public static class ServerTables
{
    public static Table Server(ServerInfo i)
    {
        var t = Fields()
            .Field("Version", i.Version)
            .Field("Catalog", i.Catalog)
            .Field("Hosts (agents)", i.Hosts.Count == 0 ? "none" : string.Join(", ", i.Hosts))
            .Field("Arrays", i.Arrays.Count == 0 ? "none" : string.Join(", ", i.Arrays))
            .Field("Definitions", i.Definitions.ToString())
            .Field("Backups", i.Backups.ToString());
        foreach (var p in i.Reachability ?? [])
            t.Field($"{(p.Kind == "array" ? "Array" : "Agent")} {p.Name}", p.Reachable
                ? new Markup($"[green]reachable[/] {Markup.Escape(p.Url ?? "")} {Markup.Escape(p.Detail ?? "")}")
                : new Markup($"[red]unreachable[/]: {Markup.Escape(p.Error ?? "no reason given")}"));
        return t;
    }

    public static Table Definitions(IEnumerable<DefinitionDto> list)
    {
        var t = new Table().AddColumns("Name", "Host", "Mount point", "Kind", "Destination", "Label", "Schedule", "Next run (UTC)", "State");
        foreach (var d in list)
            t.AddRow(Cell(d.Name), Cell(d.Host), Cell(d.MountPoint), Cell(d.Kind), Cell(Destination(d)), Cell(d.Label),
                Cell(d.Schedule is null ? "by hand" : $"{d.Schedule} ({d.TimeZone})"), Cell(NextRun(d)), Cell(d.Running ? "running" : "idle"));
        return t;
    }

    public static Table Definition(DefinitionDto d)
    {
        var t = Fields().Field("Name", d.Name).Field("Host", d.Host).Field("Mount point", d.MountPoint).Field("Kind", d.Kind)
            .Field("Destination", Destination(d)).Field("Label", d.Label).Field("Preprocess", d.PreHook).Field("Postprocess", d.PostHook);
        if (d.PreOnly == true) t.Field("Pre-only", "yes: a preprocess without postprocess, on purpose");
        t.Field("Schedule", d.Schedule is null ? "by hand only" : $"{d.Schedule} ({d.TimeZone})").Field("Missed runs", d.MissedRuns);
        if (d.KeepGenerations is { } k) t.Field("Keep generations", k.ToString());
        t.Field("Enabled", d.Enabled == false ? "no: the scheduler does not fire it ('snapcat definition enable'); runs by hand still work" : "yes");
        if (d.Retention is not null) t.Field("Retention", Snapcat.Cli.Commands.Server.RetentionOptions.Describe(d.Retention));
        return t.Field("Next run", NextRun(d)).Field("Last scheduled", Time(d.LastFire)).Field("Created", Time(d.Created))
            .Field("State", d.Running ? "running" : "idle");
    }

    /// <summary>"disabled" instead of a time: the scheduler does not fire a disabled definition.</summary>
    public static string NextRun(DefinitionDto d) => d.Enabled == false ? "disabled" : Time(d.NextRun);

    private static string Destination(DefinitionDto d) => d.DestinationVolume is { } v ? $"{d.DeviceId} volume {v}" : d.DeviceId;

    public static Table Backups(IEnumerable<BackupDto> list)
    {
        var t = new Table().AddColumns("ID", "Host", "Mount point", "Kind", "Device", "Media", "Label", "Time stamp (UTC)", "Origin", "Protected");
        t.Columns[0].RightAligned();
        foreach (var b in list)
            t.AddRow(Cell(b.Id.ToString()), Cell(b.Host), Cell(b.MountPoint), Cell(b.Kind), Cell(b.DeviceId), Cell(b.MediaId),
                Cell(b.Label), Cell(Time(b.Timestamp)), Cell(b.Origin), Cell(Protection(b)));
        return t;
    }

    public static Table Backup(BackupDto b) =>
        Fields().Field("ID", b.Id.ToString()).Field("Host", b.Host).Field("Mount point", b.MountPoint).Field("Kind", b.Kind)
            .Field("Where", $"{b.DeviceId} volume {b.MediaId}").Field("Label", b.Label).Field("Time stamp", Time(b.Timestamp))
            .Field("Backup ID", b.BackupId.ToString()).Field("Origin", b.Origin).Field("Recorded", Time(b.Recorded)).Field("Protected", Protection(b));

    /// <summary>"-", "yes (until unprotected)", "until 2027-01-31 00:00:00Z", or "expired 2026-…" for a date that has passed.</summary>
    private static string Protection(BackupDto b) => !b.Protected ? "-"
        : b.ProtectedUntil is not { } u ? "yes (until unprotected)"
        : u > DateTimeOffset.UtcNow ? "until " + Time(u) : "expired " + Time(u);

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
            t.AddRow(Cell(a.DeviceId), Cell(a.Volumes.ToString()), Cell(Counted(a.Added)), Cell(Counted(a.Unchanged)), Cell(Counted(a.Updated)),
                Cell(a.Invalid.Count == 0 ? "-" : string.Join("\n", a.Invalid.Select(i => $"{i.Volume}: {i.Reason}"))),
                Cell(Counted(a.WithoutVolumeInfo)), Cell(Counted(a.Orphans ?? [])), Cell(a.CatalogRowsNotOnArray.Count == 0 ? "-" : string.Join(", ", a.CatalogRowsNotOnArray)));
        }
        if (r.Tapes is { } tp)
        {
            // The tape library in the same table: media IDs (VOLSER/NNNN) where the arrays show volume numbers.
            static string Items(IReadOnlyList<RebuildItem> l) => Counted(l.Select(i => i.Where).ToList());
            int found = tp.Added.Count + tp.Unchanged.Count + tp.Updated.Count + tp.Invalid.Count;
            t.AddRow(Cell(tp.DeviceId + " (tapes)"), Cell(found.ToString()), Cell(Items(tp.Added)), Cell(Items(tp.Unchanged)), Cell(Items(tp.Updated)),
                Cell(tp.Invalid.Count == 0 ? "-" : string.Join("\n", tp.Invalid.Select(i => $"{i.Where}: {i.Reason}"))), Cell("-"), Cell("-"), Cell("-"));
        }
        return t;
    }

    public static Table Orphans(OrphanReport report)
    {
        var t = new Table().AddColumns("Array", "Snapshot volume", "Of volume", "Created (UTC)", "Size", "State");
        foreach (var (o, state) in report.Deleted.Select(o => (o, "deleted")).Concat(report.Orphans.Select(o => (o, "orphan"))))
            t.AddRow(Cell(o.DeviceId), Cell(o.Volume.ToString()), Cell(o.SourceVolume?.ToString()), Cell($"{o.Created.UtcDateTime:yyyy-MM-dd HH:mm:ss}"),
                Cell(o.Size.ToString()), Cell(state));
        return t;
    }

    /// <summary>The backup volume table (FIG. 4).</summary>
    public static Table BackupVolumes(IEnumerable<BackupVolumeDto> volumes)
    {
        var t = new Table().AddColumns("Host", "Mount point", "Array", "Copy-to volumes");
        foreach (var e in volumes)
            t.AddRow(Cell(e.Host), Cell(e.MountPoint), Cell(e.DeviceId), Cell(e.CopyTo.Count == 0 ? "-" : string.Join(", ", e.CopyTo)));
        return t;
    }

    public static Table ScheduleEvents(IEnumerable<ScheduleEventDto> events)
    {
        var t = new Table().AddColumns("Time (UTC)", "Definition", "What", "Detail");
        foreach (var e in events) t.AddRow(Cell(Time(e.Time)), Cell(e.Definition), Cell(e.What), Cell(e.Detail));
        return t;
    }

    /// <summary>One row per cartridge, its backups one per line (media ID first, for <c>verify</c>).</summary>
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
}
