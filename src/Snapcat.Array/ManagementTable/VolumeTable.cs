using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Snapcat.Array.ManagementTable;

/// <summary>
/// The volume management table 37 (FIG. 7) in one SQLite file. WAL journal with synchronous=FULL:
/// every committed transaction is fsynced to the WAL before Commit returns, so an acknowledged API
/// call survives kill -9 and power loss; an unacknowledged one is either whole or absent.
///
/// Volume numbers: the next number is one more than the highest number ever used (SQLite
/// AUTOINCREMENT keeps that in sqlite_sequence), never the smallest free one. Backup catalogs record
/// a backup as (device ID, volume number); reusing a deleted volume's number would let an old catalog
/// entry silently name a different volume's data.
///
/// One connection, used under a lock: the array's metadata traffic is tiny, and serialising it makes
/// check-then-write sequences in <see cref="Snapcat.Array.Volumes.VolumeManager"/> atomic for free.
/// </summary>
public sealed class VolumeTable : IDisposable
{
    private const string VolumeColumns =
        "number AS Number, size AS Size, kind AS Kind, source_number AS SourceNumber, created AS Created, (volume_info IS NOT NULL) AS HasVolumeInfo";

    private readonly SqliteConnection _db;
    private readonly Lock _gate = new();

    private VolumeTable(SqliteConnection db, string path)
    {
        _db = db;
        Path = path;
    }

    public string Path { get; }

    public int SchemaVersion { get; private set; }

    public static VolumeTable Open(string path)
    {
        SqliteFiles.MakePrivate(path);
        var cs = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,  // closing must really close the file (reopen in tests, directory removal)
        }.ToString();
        var db = new SqliteConnection(cs);
        try
        {
            db.Open();
            string mode = db.ExecuteScalar<string>("PRAGMA journal_mode=WAL") ?? "";
            if (!mode.Equals("wal", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"could not put {path} in WAL mode (got '{mode}')");
            db.Execute("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;");
            var table = new VolumeTable(db, path);
            table.SchemaVersion = TableMigrations.Apply(db);
            return table;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    public T Read<T>(Func<VolumeTable, T> f)
    {
        lock (_gate) return f(this);
    }

    /// <summary>Runs <paramref name="f"/> under the table lock in one transaction; commits if it returns.</summary>
    public T Transaction<T>(Func<SqliteTransaction, T> f)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            var r = f(tx);
            tx.Commit();
            return r;
        }
    }

    /// <summary>Runs <paramref name="f"/> under the table lock without a transaction (for file work that must precede a row).</summary>
    public T Locked<T>(Func<T> f)
    {
        lock (_gate) return f();
    }

    // ---- volumes ----

    /// <summary>The number the next created volume gets (see the class comment for why not the smallest free one).</summary>
    public long NextVolumeNumber(SqliteTransaction? tx = null) =>
        _db.ExecuteScalar<long>(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'volumes'), 0), coalesce((SELECT max(number) FROM volumes), 0)) + 1",
            transaction: tx);

    public void InsertVolume(VolumeRecord v, SqliteTransaction tx) =>
        _db.Execute(
            "INSERT INTO volumes (number, size, kind, source_number, created) VALUES (@Number, @Size, @Kind, @SourceNumber, @Created)",
            v, tx);

    public VolumeRecord? GetVolume(long number, SqliteTransaction? tx = null) =>
        _db.QuerySingleOrDefault<VolumeRecord>($"SELECT {VolumeColumns} FROM volumes WHERE number = @number", new { number }, tx);

    public IReadOnlyList<VolumeRecord> ListVolumes(SqliteTransaction? tx = null) =>
        _db.Query<VolumeRecord>($"SELECT {VolumeColumns} FROM volumes ORDER BY number", transaction: tx).AsList();

    public IReadOnlyList<long> ListVolumeNumbers(SqliteTransaction? tx = null) =>
        _db.Query<long>("SELECT number FROM volumes ORDER BY number", transaction: tx).AsList();

    public long CountVolumes() => _db.ExecuteScalar<long>("SELECT count(*) FROM volumes");

    /// <summary>
    /// Deletes the row and everything that points at it (assignments, mirror pairs); snapshots of it
    /// keep their data and lose their source link. Callers check references first unless forced.
    /// </summary>
    public void DeleteVolume(long number, SqliteTransaction tx)
    {
        _db.Execute("DELETE FROM assignments WHERE volume = @number", new { number }, tx);
        _db.Execute("DELETE FROM mirror_destinations WHERE primary_volume = @number OR secondary_volume = @number", new { number }, tx);
        _db.Execute("UPDATE volumes SET source_number = NULL WHERE source_number = @number", new { number }, tx);
        _db.Execute("DELETE FROM volumes WHERE number = @number", new { number }, tx);
    }

    public IReadOnlyList<long> SnapshotsOf(long number, SqliteTransaction? tx = null) =>
        _db.Query<long>("SELECT number FROM volumes WHERE source_number = @number ORDER BY number", new { number }, tx).AsList();

    // ---- assignments ----

    public IReadOnlyList<AssignmentRecord> ListAssignments(SqliteTransaction? tx = null) =>
        _db.Query<AssignmentRecord>("SELECT port AS Port, lun AS Lun, volume AS Volume, read_only AS ReadOnly, allowed_identities AS AllowedIdentitiesJson FROM assignments ORDER BY port, lun", transaction: tx).AsList();

    public IReadOnlyList<AssignmentRecord> AssignmentsOf(long volume, SqliteTransaction? tx = null) =>
        _db.Query<AssignmentRecord>("SELECT port AS Port, lun AS Lun, volume AS Volume, read_only AS ReadOnly, allowed_identities AS AllowedIdentitiesJson FROM assignments WHERE volume = @volume ORDER BY port, lun", new { volume }, tx).AsList();

    public IReadOnlyList<AssignmentRecord> AssignmentsOnPort(string port) =>
        _db.Query<AssignmentRecord>("SELECT port AS Port, lun AS Lun, volume AS Volume, read_only AS ReadOnly, allowed_identities AS AllowedIdentitiesJson FROM assignments WHERE port = @port ORDER BY lun", new { port }).AsList();

    public AssignmentRecord? GetAssignment(string port, long lun, SqliteTransaction? tx = null) =>
        _db.QuerySingleOrDefault<AssignmentRecord>("SELECT port AS Port, lun AS Lun, volume AS Volume, read_only AS ReadOnly, allowed_identities AS AllowedIdentitiesJson FROM assignments WHERE port = @port AND lun = @lun", new { port, lun }, tx);

    public void InsertAssignment(AssignmentRecord a, SqliteTransaction tx) =>
        _db.Execute("INSERT INTO assignments (port, lun, volume, read_only, allowed_identities) VALUES (@Port, @Lun, @Volume, @ReadOnly, @AllowedIdentitiesJson)", a, tx);

    public int DeleteAssignment(string port, long lun, SqliteTransaction tx) =>
        _db.Execute("DELETE FROM assignments WHERE port = @port AND lun = @lun", new { port, lun }, tx);

    // ---- mirror destinations (375) ----

    public IReadOnlyList<long> MirrorDestinationsOf(long primary, SqliteTransaction? tx = null) =>
        _db.Query<long>("SELECT secondary_volume FROM mirror_destinations WHERE primary_volume = @primary ORDER BY secondary_volume", new { primary }, tx).AsList();

    public IReadOnlyList<MirrorPairRecord> ListMirrorPairs() =>
        _db.Query<MirrorPairRecord>("SELECT primary_volume AS PrimaryVolume, secondary_volume AS SecondaryVolume FROM mirror_destinations ORDER BY primary_volume, secondary_volume").AsList();

    public IReadOnlyList<long> MirrorPrimariesOf(long secondary, SqliteTransaction? tx = null) =>
        _db.Query<long>("SELECT primary_volume FROM mirror_destinations WHERE secondary_volume = @secondary ORDER BY primary_volume", new { secondary }, tx).AsList();

    public void InsertMirrorDestination(long primary, long secondary, SqliteTransaction tx) =>
        _db.Execute("INSERT OR IGNORE INTO mirror_destinations (primary_volume, secondary_volume) VALUES (@primary, @secondary)", new { primary, secondary }, tx);

    public int DeleteMirrorDestination(long primary, long secondary, SqliteTransaction tx) =>
        _db.Execute("DELETE FROM mirror_destinations WHERE primary_volume = @primary AND secondary_volume = @secondary", new { primary, secondary }, tx);

    // ---- volume information (376) ----

    public byte[]? GetVolumeInfo(long number) =>
        _db.ExecuteScalar<byte[]?>("SELECT volume_info FROM volumes WHERE number = @number", new { number });

    public int SetVolumeInfo(long number, byte[]? info, SqliteTransaction tx) =>
        _db.Execute("UPDATE volumes SET volume_info = @info WHERE number = @number", new { number, info }, tx);

    public IReadOnlyList<VolumeInfoRecordRow> ListVolumeInfos() =>
        _db.Query<VolumeInfoRecordRow>("SELECT number AS Number, size AS Size, kind AS Kind, volume_info AS VolumeInfo FROM volumes ORDER BY number").AsList();

    public static string FormatTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public void Dispose() => _db.Dispose();
}
