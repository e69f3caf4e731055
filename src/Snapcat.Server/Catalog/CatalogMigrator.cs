using System.Data.Common;
using System.Reflection;
using System.Text.RegularExpressions;
using Dapper;

namespace Snapcat.Server.Catalog;

/// <summary>
/// Applies the numbered migrations embedded under Migrations/&lt;dialect&gt;/ in order, each in its own
/// transaction together with its schema_version row, so a crash leaves the schema at a whole version.
/// A catalog newer than this build is refused rather than used.
/// </summary>
public sealed partial class CatalogMigrator(CatalogDatabase db)
{
    public sealed record Migration(int Version, string Name, string Sql);

    public static IReadOnlyList<Migration> Available(CatalogDialect dialect)
    {
        string folder = dialect == CatalogDialect.Sqlite ? ".sqlite." : ".postgres.";
        var asm = Assembly.GetExecutingAssembly();
        var list = new List<Migration>();
        foreach (string res in asm.GetManifestResourceNames())
        {
            if (!res.Contains(".Catalog.Migrations" + folder, StringComparison.Ordinal)) continue;
            var m = FileName().Match(res);
            if (!m.Success) continue;
            using var s = asm.GetManifestResourceStream(res)!;
            using var r = new StreamReader(s);
            list.Add(new Migration(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[2].Value, r.ReadToEnd()));
        }
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        return list;
    }

    /// <summary>Brings the schema to <paramref name="target"/> (default: the newest) and returns the version reached.</summary>
    public async Task<int> MigrateAsync(CancellationToken ct = default, int? target = null)
    {
        DbConnection c = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cLifetime = c.ConfigureAwait(false);
        await c.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_us BIGINT NOT NULL)").ConfigureAwait(false);
        int current = await c.ExecuteScalarAsync<int?>("SELECT MAX(version) FROM schema_version").ConfigureAwait(false) ?? 0;
        var all = Available(db.Dialect);
        int newest = all.Count == 0 ? 0 : all[^1].Version;
        if (current > newest)
            Snapcat.Core.Errors.Throw.Conflict("catalog.too_new",
                $"the catalog ({db.Description}) has schema version {current}, newer than this Snapcat knows ({newest}); upgrade Snapcat");
        foreach (var m in all)
        {
            if (m.Version <= current || (target is { } t && m.Version > t)) continue;
            var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using var txLifetime = tx.ConfigureAwait(false);
            await c.ExecuteAsync(m.Sql, transaction: tx).ConfigureAwait(false);
            await c.ExecuteAsync("INSERT INTO schema_version (version, name, applied_us) VALUES (@v, @n, @t)",
                new { v = m.Version, n = m.Name, t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000 }, tx).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            current = m.Version;
        }
        return current;
    }

    [GeneratedRegex(@"\.(\d{4})_([A-Za-z0-9_]+)\.sql$")]
    private static partial Regex FileName();
}
