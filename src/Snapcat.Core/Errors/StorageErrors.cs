using System.Data.Common;

namespace Snapcat.Core.Errors;

/// <summary>
/// Recognises "the disk is full" in whatever shape it reaches a daemon, so that the one error
/// mapping (the daemons' ErrorMiddleware) answers a stable <c>storage.full</c> (HTTP 507) instead of
/// 500 <c>internal</c>: an administrator can act on it, and a client knows that retrying after space
/// is freed is safe (the failed call was rolled back: SQLite undoes a transaction that hit SQLITE_FULL,
/// and every file write path removes what it had begun).
/// </summary>
public static class StorageErrors
{
    public const string FullCode = "storage.full";

    // errno values .NET keeps in IOException.HResult for errors it has no managed type for.
    private const int ENOSPC = 28, EDQUOT = 122;

    /// <summary>SQLite's primary result code SQLITE_FULL ("SQLite Error 13: 'database or disk is full'").</summary>
    public const int SqliteFull = 13;

    /// <summary>PostgreSQL SQLSTATE 53100 disk_full (class 53, insufficient resources).</summary>
    private const string PostgresDiskFull = "53100";

    /// <summary>
    /// The exception in <paramref name="ex"/>'s chain that says the storage is full, or null.
    /// <paramref name="isFull"/> adds a test for a driver Core does not reference (Microsoft.Data.Sqlite
    /// keeps SQLITE_FULL in SqliteException.SqliteErrorCode, not in DbException.ErrorCode).
    /// </summary>
    public static Exception? FindFull(Exception ex, Func<Exception, bool>? isFull = null)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (IsFull(e) || isFull?.Invoke(e) == true) return e;
            if (e is AggregateException agg)
                foreach (var inner in agg.InnerExceptions)
                    if (FindFull(inner, isFull) is { } found) return found;
        }
        return null;
    }

    private static bool IsFull(Exception e) => e switch
    {
        SnapcatException s => s.Kind == ErrorKind.StorageFull,
        IOException io => io.HResult is ENOSPC or EDQUOT,
        DbException db => db.SqlState == PostgresDiskFull,
        _ => false,
    };
}
