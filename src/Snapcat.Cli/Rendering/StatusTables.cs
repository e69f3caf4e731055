using Snapcat.Core.Jobs;
using Snapcat.Core.Units;
using Spectre.Console;
using Spectre.Console.Rendering;
using static Snapcat.Cli.Rendering.Cells;

namespace Snapcat.Cli.Rendering;

/// <summary>The parts of <c>snapcat status</c>, top to bottom, each a titled table (or a line when there is nothing to show).</summary>
public static class StatusTables
{
    public static IEnumerable<IRenderable> Screen(ServerStatusDto s)
    {
        yield return new Text($"Backup server status at {Time(s.Time)}; failures since {Time(s.Since)}\n");
        yield return Definitions(s.Definitions);
        yield return s.Running.Count == 0 ? new Text("Running jobs: none\n") : Running(s.Running);
        yield return s.Failures.Count == 0 && s.Missed.Count == 0 ? new Text($"Failures since {Time(s.Since)}: none\n") : Failures(s);
        yield return s.Arrays.Count == 0 ? new Text("Arrays: none configured\n") : Arrays(s.Arrays);
        yield return s.Tape is { } t ? Tape(t) : new Text("Tape library: none configured\n");
        if (s.StateCopy is { } sc) yield return new Text(StateCopyLine(sc) + "\n");
        if (s.Drift is { } d) yield return new Text(DriftLine(d) + "\n");
    }

    /// <summary>One line on the server's state copy (docs/disaster-recovery.md): last generation and where, or the failure being retried.</summary>
    public static string StateCopyLine(StateCopyStatusDto sc) =>
        sc.LastError is { } error
            ? $"State copy: FAILED at {(sc.LastFailure is { } f ? Time(f) : "-")} ({error}); retried; last good generation {sc.Generation}" +
              (sc.LastWritten is { } lw ? $" at {Time(lw)}" : "")
            : sc.LastWritten is { } w
                ? $"State copy: generation {sc.Generation} at {Time(w)}" + (sc.Targets.Count > 0 ? $" on {string.Join(", ", sc.Targets)}" : "") + (sc.Pending ? " (a newer one is due)" : "")
                : "State copy: none written yet" + (sc.Pending ? " (one is due)" : " (written after the first change)");

    /// <summary>One line: the findings of the last drift reconcile by kind, or that it found none (docs/drift.md).</summary>
    public static string DriftLine(DriftStatusDto d) => d.LastCheck is null
        ? "Drift: never checked ('snapcat drift check')"
        : d.Findings == 0 ? $"Drift: none at the last check ({Time(d.LastCheck)})"
        : $"Drift: {d.Findings} finding(s) at the last check ({Time(d.LastCheck)}): " +
          string.Join(", ", d.ByKind.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Value} {k.Key}")) + "; 'snapcat drift list' shows them";

    private static Table Titled(string title, params string[] columns) =>
        new Table { Title = new TableTitle(title), Border = TableBorder.Rounded }.AddColumns(columns);

    public static IRenderable Definitions(IReadOnlyList<DefinitionStatusDto> list)
    {
        if (list.Count == 0) return new Text("Definitions: none ('snapcat definition create')\n");
        var t = Titled("Definitions", "Name", "Kind", "Source", "Schedule", "Next run (UTC)", "Last result", "Last finished (UTC)");
        foreach (var d in list)
        {
            string next = !d.Enabled ? "disabled" : d.Schedule is null ? "by hand" : Time(d.NextRun);
            string result = d.Running ? "running" : d.LastResult is { } l ? State(l.State) : "never run";
            t.AddRow(Cell(d.Name), Cell(d.Kind), Cell($"{d.Host}:{d.MountPoint}"), Cell(d.Schedule ?? "-"), Cell(next),
                new Markup(Color(d.LastResult?.State, result)), Cell(Time(d.LastResult?.Finished)));
        }
        return t;
    }

    private static Table Running(IReadOnlyList<RunningJobDto> list)
    {
        var t = Titled("Running jobs", "Job", "Kind", "Description", "Started (UTC)", "Progress");
        foreach (var j in list)
        {
            string progress = j.BytesTotal > 0
                ? $"{ByteSize.Format(j.BytesDone)} / {ByteSize.Format(j.BytesTotal)} ({100.0 * j.BytesDone / j.BytesTotal:0.#}%)"
                : j.BytesDone > 0 ? ByteSize.Format(j.BytesDone) : "-";
            if (j.BytesPerSecond is { } r && r > 0) progress += $", {ByteSize.Format((long)r)}/s";
            t.AddRow(Cell(j.JobId), Cell(j.Kind), Cell(j.Description), Cell(Time(j.Created)), Cell(progress));
        }
        return t;
    }

    private static Table Failures(ServerStatusDto s)
    {
        var t = Titled($"Failures since {Time(s.Since)}", "When (UTC)", "Job", "Definition", "State", "Error");
        foreach (var f in s.Failures)
            t.AddRow(Cell(Time(f.Finished)), Cell(f.JobId), Cell(f.Definition ?? "-"), new Markup(Color(f.State, State(f.State))),
                Cell(f.ErrorMessage is null ? f.ErrorCode ?? "-" : $"{f.ErrorMessage} ({f.ErrorCode})"));
        foreach (var m in s.Missed)
            t.AddRow(Cell(Time(m.Time)), Cell("-"), Cell(m.Definition), new Markup("[yellow]missed[/]"), Cell(m.Detail));
        return t;
    }

    private static Table Arrays(IReadOnlyList<ArrayStatusDto> list)
    {
        var t = Titled("Arrays", "Device ID", "Reachable", "Volumes", "Snapshots", "Provisioned", "Allocated", "Free");
        foreach (var a in list)
        {
            if (!a.Reachable)
            {
                t.AddRow(Cell(a.DeviceId), new Markup("[red]no[/]: " + Markup.Escape(a.Error ?? "no reason given")), Cell("-"), Cell("-"), Cell("-"), Cell("-"), Cell("-"));
                continue;
            }
            t.AddRow(Cell(a.DeviceId), new Markup("[green]yes[/]"), Cell(a.Volumes.ToString()), Cell(a.Snapshots.ToString()),
                Cell(ByteSize.Format(a.ProvisionedBytes)), Cell(ByteSize.Format(a.AllocatedBytes)),
                Cell(a.FreeBytes is { } f ? ByteSize.Format(f) : "unknown (the array could not read it)"));
        }
        return t;
    }

    private static Table Tape(TapeStatusDto t) =>
        Titled($"Tape library {t.LibraryId}", "Cartridges", "Empty", "Appendable", "Closed", "Damaged", "Capacity", "Free", "Backups")
            .AddRow(Cell(t.Cartridges.ToString()), Cell(t.Empty.ToString()), Cell(t.Appendable.ToString()), Cell(t.Closed.ToString()),
                new Markup(t.Damaged > 0 ? $"[red]{t.Damaged}[/]" : "0"), Cell(ByteSize.Format(t.CapacityBytes)), Cell(ByteSize.Format(t.FreeBytes)),
                Cell(t.Backups.ToString()));

    private static string State(JobState s) => s.ToString().ToLowerInvariant();

    private static string Color(JobState? s, string text) => s switch
    {
        JobState.Succeeded => $"[green]{Markup.Escape(text)}[/]",
        JobState.Failed or JobState.Interrupted => $"[red]{Markup.Escape(text)}[/]",
        JobState.Cancelled => $"[yellow]{Markup.Escape(text)}[/]",
        _ => Markup.Escape(text),
    };
}
