using Dapper;
using Snapcat.Server.Catalog;

namespace Snapcat.Server.Tests;

/// <summary>
/// Test classes that use the one PostgreSQL database named by SNAPCAT_TEST_POSTGRES. They empty its
/// tables and count rows, so they must not run at the same time: xunit runs the classes of one
/// collection one after another. Without the variable only the SQLite case of each theory runs.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection
{
    public const string Name = "postgres database";

    public static string? ConnectionString => Environment.GetEnvironmentVariable("SNAPCAT_TEST_POSTGRES") is { Length: > 0 } s ? s : null;

    /// <summary>"sqlite" always, "postgres" when SNAPCAT_TEST_POSTGRES is set.</summary>
    public static TheoryData<string> Backends()
    {
        var d = new TheoryData<string> { "sqlite" };
        if (ConnectionString is not null) d.Add("postgres");
        return d;
    }

    /// <summary>The PostgreSQL connection string for the "postgres" case of <see cref="Backends"/>; null for SQLite.</summary>
    public static string? For(string backend) => backend == "postgres" ? ConnectionString : null;

    /// <summary>The catalog of a backend case: a new SQLite file at <paramref name="sqlitePath"/>, or the PostgreSQL database emptied.</summary>
    public static async Task<CatalogDatabase> OpenCatalogAsync(string backend, string sqlitePath)
    {
        if (For(backend) is not { } postgres) return await CatalogDatabase.OpenAsync(sqlitePath);
        var db = await CatalogDatabase.OpenAsync(postgres);
        await EmptyAsync(db);
        return db;
    }

    /// <summary>Every catalog table of the PostgreSQL database emptied (what a lost catalog looks like there).</summary>
    public static async Task EmptyAsync(CatalogDatabase db)
    {
        await using var c = await db.OpenConnectionAsync();
        await c.ExecuteAsync("TRUNCATE backup_data, backup_definition, backup_volume, backup_volume_target, job, verify_run, verify_plan");
    }
}
