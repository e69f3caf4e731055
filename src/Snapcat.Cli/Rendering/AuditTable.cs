using Snapcat.Core.Security;
using Spectre.Console;
using static Snapcat.Cli.Rendering.Cells;

namespace Snapcat.Cli.Rendering;

/// <summary>The audit log as a table: refusals in yellow, failures in red, so they stand out in a long log.</summary>
public static class AuditTable
{
    public static Table Render(IReadOnlyList<AuditRecord> records)
    {
        var t = new Table().AddColumns("Time (UTC)", "Principal", "Role", "Call", "Target", "Status", "Outcome", "From");
        foreach (var a in records)
        {
            string colour = a.Outcome switch { "ok" => "green", "refused" => "yellow", _ => "red" };
            t.AddRow(Cell(Time(a.Time)), Cell(a.Principal), Cell(a.Role), Cell($"{a.Method} {a.Route}"), Cell(a.Target),
                Cell(a.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Markup($"[{colour}]{Markup.Escape(a.Outcome)}[/]"), Cell(a.RemoteAddress));
        }
        return t;
    }
}
