using Dapper;
using Microsoft.Data.Sqlite;
using Snapcat.Array.ManagementTable;
using Snapcat.Core.Errors;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Daemon;

public sealed class VolumeTableTests
{
    [Fact]
    public void Fresh_file_gets_every_migration_in_wal_mode()
    {
        using var dir = new TempDir("table");
        string path = dir.Combine("array.db");
        using (var t = VolumeTable.Open(path))
            Assert.Equal(TableMigrations.Latest, t.SchemaVersion);

        using var db = new SqliteConnection($"Data Source={path};Pooling=False");
        db.Open();
        Assert.Equal("wal", db.ExecuteScalar<string>("PRAGMA journal_mode"));
        var versions = db.Query<long>("SELECT version FROM schema_version ORDER BY version").ToList();
        Assert.Equal(Enumerable.Range(1, TableMigrations.Latest).Select(i => (long)i), versions);
        var tables = db.Query<string>("SELECT name FROM sqlite_master WHERE type = 'table'").ToHashSet();
        Assert.Superset(new HashSet<string> { "volumes", "assignments", "mirror_destinations", "schema_version" }, tables);
    }

    [Fact]
    public void An_assignment_stored_before_lun_masking_opens_unmasked_and_a_masked_one_round_trips()
    {
        using var dir = new TempDir("table");
        string path = dir.Combine("array.db");
        using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            // A file at schema version 1, as an array before LUN masking left it.
            db.Open();
            db.Execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)");
            db.Execute(TableMigrations.All[0].Sql);
            db.Execute("INSERT INTO schema_version VALUES (1, 'initial', '2026-01-01T00:00:00Z')");
            db.Execute("INSERT INTO volumes (number, size, kind, created) VALUES (1, 4096, 'volume', '2026-01-01T00:00:00Z')");
            db.Execute("INSERT INTO assignments (port, lun, volume, read_only) VALUES ('127.0.0.1:10809', 3, 1, 0)");
        }
        using (var t = VolumeTable.Open(path))
        {
            Assert.Equal(TableMigrations.Latest, t.SchemaVersion);
            var old = Assert.Single(t.ListAssignments());
            Assert.Null(old.AllowedIdentities);
            Assert.True(old.Admits(null));
            t.Transaction(tx =>
            {
                t.InsertAssignment(new AssignmentRecord { Port = "127.0.0.1:10809", Lun = 4, Volume = 1, AllowedIdentities = ["alice", "CN=host-a, O=site"] }, tx);
                return 0;
            });
        }
        using (var t = VolumeTable.Open(path))
        {
            var masked = t.GetAssignment("127.0.0.1:10809", 4)!;
            Assert.Equal(["alice", "CN=host-a, O=site"], masked.AllowedIdentities!);
            Assert.True(masked.Admits("alice"));
            Assert.False(masked.Admits("bob"));
            Assert.False(masked.Admits(null));
        }
    }

    [Fact]
    public void Migrations_are_numbered_from_one_without_gaps()
    {
        Assert.Equal(Enumerable.Range(1, TableMigrations.All.Count), TableMigrations.All.Select(m => m.Version));
        Assert.Equal("initial", TableMigrations.All[0].Name);
    }

    [Fact]
    public void Rows_survive_reopen_and_migrations_are_not_reapplied()
    {
        using var dir = new TempDir("table");
        string path = dir.Combine("array.db");
        byte[] info = Enumerable.Range(0, 512).Select(i => (byte)i).ToArray();
        using (var t = VolumeTable.Open(path))
        {
            t.Transaction(tx =>
            {
                t.InsertVolume(new VolumeRecord { Number = 1, Size = 4096, Kind = "volume", Created = "2026-01-01T00:00:00.0000000Z" }, tx);
                t.InsertVolume(new VolumeRecord { Number = 2, Size = 4096, Kind = "snapshot", SourceNumber = 1, Created = "2026-01-01T00:00:00.0000000Z" }, tx);
                t.InsertAssignment(new AssignmentRecord { Port = "127.0.0.1:10809", Lun = 7, Volume = 1, ReadOnly = true }, tx);
                t.InsertMirrorDestination(1, 2, tx);
                t.SetVolumeInfo(1, info, tx);
                return 0;
            });
        }
        using (var t = VolumeTable.Open(path))
        {
            Assert.Equal(TableMigrations.Latest, t.SchemaVersion);
            Assert.Equal([1L, 2L], t.ListVolumeNumbers());
            Assert.Equal([2L], t.SnapshotsOf(1));
            Assert.Equal([2L], t.MirrorDestinationsOf(1));
            var a = Assert.Single(t.AssignmentsOf(1));
            Assert.Equal((7L, true), (a.Lun, a.ReadOnly));
            Assert.Equal(info, t.GetVolumeInfo(1));
            Assert.True(t.GetVolume(1)!.HasVolumeInfo);
            Assert.Equal(3, t.NextVolumeNumber());
        }
        using var db = new SqliteConnection($"Data Source={path};Pooling=False");
        db.Open();
        Assert.Equal(TableMigrations.Latest, db.ExecuteScalar<long>("SELECT count(*) FROM schema_version"));
    }

    [Fact]
    public void Schema_rejects_wrong_info_length_and_duplicate_lun()
    {
        using var dir = new TempDir("table");
        using var t = VolumeTable.Open(dir.Combine("array.db"));
        t.Transaction(tx => { t.InsertVolume(new VolumeRecord { Number = 1, Size = 512, Created = "x" }, tx); return 0; });
        Assert.Throws<SqliteException>(() => t.Transaction(tx => t.SetVolumeInfo(1, new byte[511], tx)));
        t.Transaction(tx => { t.InsertAssignment(new AssignmentRecord { Port = "p:1", Lun = 0, Volume = 1 }, tx); return 0; });
        Assert.Throws<SqliteException>(() => t.Transaction(tx => { t.InsertAssignment(new AssignmentRecord { Port = "p:1", Lun = 0, Volume = 1 }, tx); return 0; }));
        Assert.Throws<SqliteException>(() => t.Transaction(tx => { t.InsertAssignment(new AssignmentRecord { Port = "p:1", Lun = 1, Volume = 42 }, tx); return 0; }));
    }

    [Fact]
    public void Deleted_highest_number_is_not_handed_out_again()
    {
        using var dir = new TempDir("table");
        using var t = VolumeTable.Open(dir.Combine("array.db"));
        t.Transaction(tx => { t.InsertVolume(new VolumeRecord { Number = t.NextVolumeNumber(tx), Size = 512, Created = "x" }, tx); return 0; });
        t.Transaction(tx => { t.InsertVolume(new VolumeRecord { Number = t.NextVolumeNumber(tx), Size = 512, Created = "x" }, tx); return 0; });
        t.Transaction(tx => { t.DeleteVolume(2, tx); return 0; });
        Assert.Equal(3, t.NextVolumeNumber());
    }

    [Fact]
    public void A_newer_schema_is_refused()
    {
        using var dir = new TempDir("table");
        string path = dir.Combine("array.db");
        VolumeTable.Open(path).Dispose();
        using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            db.Execute("INSERT INTO schema_version (version, name, applied) VALUES (999, 'future', 'x')");
        }
        var ex = Assert.Throws<SnapcatException>(() => VolumeTable.Open(path));
        Assert.Contains("schema version 999", ex.Message);
    }
}
