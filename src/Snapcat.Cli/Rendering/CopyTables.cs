using Snapcat.Core.Jobs;
using Snapcat.Core.Json;
using Snapcat.Core.Units;
using Spectre.Console;
using static Snapcat.Cli.Rendering.Cells;

namespace Snapcat.Cli.Rendering;

/// <summary>Spectre tables for the copy functions: copy destination lists, jobs.</summary>
public static class CopyTables
{
    public static Table Mirrors(uint primary, IEnumerable<MirrorDestinationDto> mirrors)
    {
        var t = new Table().AddColumns("Secondary", "Last copy", "Started", "Completed", "Bytes copied", "Next copy", "Detail");
        t.Title = new TableTitle($"Copy destinations of volume {primary}");
        t.Columns[0].RightAligned();
        t.Columns[4].RightAligned();
        foreach (var m in mirrors)
            t.AddRow(Cell(m.Secondary.ToString()), Cell(m.State), Cell(Time(m.LastCopyStarted)), Cell(Time(m.LastCopyCompleted)),
                Cell(ByteSize.Format(m.LastCopyBytes)), Cell(m.NextCopyFull ? "full" : "changes only"), Cell(m.Detail ?? ""));
        return t;
    }

    public static Table CopyDestinations(CopyDestinationsDto d) =>
        Fields().Field("Device ID", d.DeviceId).Field("Port / LUN", $"{d.Port} LUN {d.Lun}").Field("Volume", d.Volume.ToString())
            .Field("Copy destinations", d.CopyTo.Count == 0 ? "-" : string.Join(", ", d.CopyTo));

    public static Table Jobs(IEnumerable<JobSnapshot> jobs)
    {
        var t = new Table().AddColumns("Job", "Kind", "State", "Progress", "Created", "Finished", "Description");
        foreach (var j in jobs)
            t.AddRow(Cell(j.Id), Cell(j.Kind), State(j), Cell(Progress(j)), Cell(Time(j.Created)), Cell(Time(j.Finished)), Cell(j.Description));
        return t;
    }

    public static Table Job(JobSnapshot j)
    {
        var t = Fields().Field("Job", j.Id).Field("Kind", j.Kind).Field("Description", j.Description).Field("State", State(j))
            .Field("Progress", Progress(j)).Field("Created", Time(j.Created)).Field("Finished", Time(j.Finished));
        if (j.ErrorCode is not null) t.Field("Error", $"{j.ErrorMessage} ({j.ErrorCode})");
        if (j.Log.Count > 0)
            t.Field("Log", string.Join("\n", j.Log.Select(l => $"{l.Time.ToUniversalTime():HH:mm:ss} {l.Level}: {l.Message}")));
        if (j.Result is not null) t.Field("Result", j.Result.ToJsonString());
        return t;
    }

    public static string Progress(JobSnapshot j)
    {
        if (j.BytesTotal <= 0 && j.BytesDone <= 0) return "-";
        string amount = j.BytesTotal <= 0 ? ByteSize.Format(j.BytesDone)
            : $"{ByteSize.Format(j.BytesDone)} / {ByteSize.Format(j.BytesTotal)} ({100.0 * j.BytesDone / j.BytesTotal:0.#}%)";
        return amount + RateAndEta(j);
    }

    /// <summary>", 85 MiB/s, 12 s left" — the job's own rate and ETA (issue 15.10), empty when it has none yet.</summary>
    public static string RateAndEta(JobSnapshot j)
    {
        string s = j.BytesPerSecond is { } r && r > 0 ? $", {ByteSize.Format((long)r)}/s" : "";
        if (j.EtaSeconds is { } e) s += $", {Duration(e)} left";
        return s;
    }

    private static string Duration(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Ceiling(seconds));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes} min" : t.TotalMinutes >= 1 ? $"{t.Minutes} min {t.Seconds} s" : $"{t.Seconds} s";
    }

    private static Markup State(JobSnapshot j)
    {
        string color = j.State switch
        {
            JobState.Succeeded => "green",
            JobState.Failed => "red",
            JobState.Cancelled => "yellow",
            JobState.Interrupted => "red",
            _ => "blue",
        };
        return new Markup($"[{color}]{SnapcatJson.Name(j.State)}[/]");
    }
}
