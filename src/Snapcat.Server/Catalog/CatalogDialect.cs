namespace Snapcat.Server.Catalog;

/// <summary>The two catalog back ends: an embedded SQLite file (default, zero set-up) or PostgreSQL for large sites.</summary>
public enum CatalogDialect
{
    Sqlite,
    Postgres,
}
