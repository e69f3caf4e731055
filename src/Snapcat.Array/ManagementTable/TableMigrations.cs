using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Snapcat.Array.ManagementTable;

/// <summary>
/// Brings a management table file up to the newest schema. Migrations are the embedded resources
/// <c>ManagementTable/Migrations/NNNN_name.sql</c>, applied in number order, each in its own
/// transaction together with its row in <c>schema_version</c>, so a crash leaves the file at a whole
/// version. A file newer than this program is refused rather than guessed at.
/// </summary>
public static partial class TableMigrations
{
    public sealed record Migration(int Version, string Name, string Sql);

    public static IReadOnlyList<Migration> All { get; } = Load();

    public static int Latest => All[^1].Version;

    public static int Apply(SqliteConnection db)
    {
        db.Execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)");
        int current = db.ExecuteScalar<int?>("SELECT max(version) FROM schema_version") ?? 0;
        if (current > Latest)
            Throw.Internal("table.schema_too_new",
                $"the volume management table has schema version {current}, but this snapcat knows only up to {Latest}; use a newer snapcat");
        foreach (var m in All.Where(m => m.Version > current))
        {
            using var tx = db.BeginTransaction();
            db.Execute(m.Sql, transaction: tx);
            db.Execute("INSERT INTO schema_version (version, name, applied) VALUES (@Version, @Name, @Applied)",
                new { m.Version, m.Name, Applied = DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture) }, tx);
            tx.Commit();
            current = m.Version;
        }
        return current;
    }

    private static List<Migration> Load()
    {
        var asm = typeof(TableMigrations).Assembly;
        var list = new List<Migration>();
        foreach (string res in asm.GetManifestResourceNames())
        {
            var m = ResourceName().Match(res);
            if (!m.Success) continue;
            using var s = asm.GetManifestResourceStream(res)!;
            using var r = new StreamReader(s);
            list.Add(new Migration(int.Parse(m.Groups["v"].Value, CultureInfo.InvariantCulture), m.Groups["n"].Value, r.ReadToEnd()));
        }
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (int i = 0; i < list.Count; i++)
            if (list[i].Version != i + 1)
                throw new InvalidOperationException($"management table migrations must be numbered 1..N without gaps; found {string.Join(",", list.Select(x => x.Version))}");
        if (list.Count == 0) throw new InvalidOperationException("no management table migrations are embedded in " + asm.GetName().Name);
        return list;
    }

    [GeneratedRegex(@"\.Migrations\.(?<v>[0-9]{4})_(?<n>[A-Za-z0-9_]+)\.sql$")]
    private static partial Regex ResourceName();
}
