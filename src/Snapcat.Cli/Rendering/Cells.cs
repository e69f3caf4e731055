using Spectre.Console;
using Spectre.Console.Rendering;

namespace Snapcat.Cli.Rendering;

/// <summary>
/// What every table of the CLI puts in its cells: plain text, never markup (labels, names and paths come
/// from users), "-" for nothing, times in UTC; and the two-column field view of one thing.
/// </summary>
public static class Cells
{
    public static Text Cell(string? text) => new(text ?? "-");

    public static string Time(DateTimeOffset? t) => t is { } v ? v.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'") : "-";

    /// <summary>"3 (4, 5, 6)": how many, and the first twenty.</summary>
    public static string Counted<T>(IReadOnlyList<T> items) =>
        items.Count == 0 ? "-" : $"{items.Count} ({string.Join(", ", items.Take(20))}{(items.Count > 20 ? ", …" : "")})";

    /// <summary>The view of one thing: field names and values, without headers.</summary>
    public static Table Fields() => new Table().HideHeaders().AddColumns("Field", "Value");

    public static Table Field(this Table table, string name, string? value) => table.Field(name, Cell(value));

    public static Table Field(this Table table, string name, IRenderable value) => table.AddRow(Cell(name), value);
}
