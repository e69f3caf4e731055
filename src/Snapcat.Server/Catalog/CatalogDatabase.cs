using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Snapcat.Core.Storage;

namespace Snapcat.Server.Catalog;

/// <summary>
/// Opens the catalog and brings its schema up to date. The same schema exists for both dialects
/// as numbered SQL migrations (Migrations/&lt;dialect&gt;/NNNN_name.sql); <see cref="CatalogMigrator"/> applies them.
/// </summary>
public sealed class CatalogDatabase : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _pg;
    private readonly string? _sqlite;

    /// <summary>Made by <c>OpenAsync</c> only: one of the two connection sources, the other null.</summary>
    private CatalogDatabase(string? sqliteConnectionString, NpgsqlDataSource? pg) => (_sqlite, _pg) = (sqliteConnectionString, pg);

    public required CatalogDialect Dialect { get; init; }

    /// <summary>Where the catalog lives, for messages (never includes a password).</summary>
    public required string Description { get; init; }

    /// <summary>
    /// <paramref name="location"/> is a file path for SQLite, or a PostgreSQL connection string
    /// (<c>Host=…;Database=…</c> or a <c>postgres://</c>/<c>postgresql://</c> URI).
    /// </summary>
    public static async Task<CatalogDatabase> OpenAsync(string location, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(location))
            Throw.Invalid("catalog.location", "the catalog location is empty; give an SQLite file path or a PostgreSQL connection string");
        CatalogDatabase db;
        if (IsPostgres(location))
        {
            var builder = new NpgsqlConnectionStringBuilder(ToNpgsql(location));
            db = new CatalogDatabase(null, NpgsqlDataSource.Create(builder.ConnectionString))
            {
                Dialect = CatalogDialect.Postgres,
                Description = $"PostgreSQL database '{builder.Database}' on {builder.Host}",
            };
        }
        else
        {
            string full = Path.GetFullPath(location);
            DurableFile.CreateDirectory(Path.GetDirectoryName(full)!);  // 0700 when new
            SqliteFiles.MakePrivate(full);  // catalog.db, -wal and -shm 0600: the catalog names every host and volume
            var cs = new SqliteConnectionStringBuilder { DataSource = full, Pooling = true, DefaultTimeout = 30 }.ToString();
            db = new CatalogDatabase(cs, null) { Dialect = CatalogDialect.Sqlite, Description = $"SQLite file {full}" };
        }
        try
        {
            await new CatalogMigrator(db).MigrateAsync(ct).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            await db.DisposeAsync().ConfigureAwait(false);
            Throw.Internal("catalog.open", $"cannot open the catalog ({db.Description}): {ex.Message}", ex);
        }
        return db;
    }

    public async Task<DbConnection> OpenConnectionAsync(CancellationToken ct = default)
    {
        if (_pg is not null)
            return await _pg.OpenConnectionAsync(ct).ConfigureAwait(false);
        var c = new SqliteConnection(_sqlite);
        await c.OpenAsync(ct).ConfigureAwait(false);
        // WAL: readers never block the writer; synchronous=FULL: a committed catalog row survives power loss.
        // busy_timeout: the scheduler and API requests write from different connections.
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return c;
    }

    /// <summary>
    /// A connection for the health probe (<c>/healthz</c>): for SQLite a fresh one, not pooled and never creating the
    /// file, so a catalog file deleted, replaced or damaged under the server shows at the next probe instead of when the
    /// pool recycles its connections; for PostgreSQL one from the pool (a server that is down fails the open).
    /// </summary>
    public async Task<DbConnection> OpenProbeConnectionAsync(CancellationToken ct = default)
    {
        if (_pg is not null) return await _pg.OpenConnectionAsync(ct).ConfigureAwait(false);
        var c = new SqliteConnection(new SqliteConnectionStringBuilder(_sqlite) { Pooling = false, Mode = SqliteOpenMode.ReadWrite }.ToString());
        try
        {
            await c.OpenAsync(ct).ConfigureAwait(false);
            return c;
        }
        catch
        {
            await c.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static bool IsPostgres(string s) =>
        s.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
        s.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) ||
        s.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    private static string ToNpgsql(string s)
    {
        if (!s.Contains("://", StringComparison.Ordinal)) return s;
        var uri = new Uri(s);
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
        };
        if (uri.UserInfo.Length > 0)
        {
            string[] parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length > 1) b.Password = Uri.UnescapeDataString(parts[1]);
        }
        return b.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (_pg is not null) await _pg.DisposeAsync().ConfigureAwait(false);
        else SqliteConnection.ClearAllPools();
    }
}
