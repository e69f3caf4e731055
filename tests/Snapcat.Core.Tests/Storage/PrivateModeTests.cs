using Snapcat.Core.Storage;
using Snapcat.TestKit;

namespace Snapcat.Core.Tests.Storage;

/// <summary>Owner-only files and directories from the storage helpers, on the real file system.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PrivateModeTests
{
    private const UnixFileMode File0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Dir0700 = File0600 | UnixFileMode.UserExecute;

    [Fact]
    public void Created_files_are_0600_and_new_directory_levels_0700()
    {
        using var dir = new TempDir("modes");
        string deep = dir.Combine("a", "b", "c");
        DurableFile.CreateDirectory(deep);
        foreach (string d in new[] { dir.Combine("a"), dir.Combine("a", "b"), deep })
            Assert.Equal(Dir0700, File.GetUnixFileMode(d));

        string f = Path.Combine(deep, "data");
        using (DurableFile.OpenPrivate(f, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite)) { }
        Assert.Equal(File0600, File.GetUnixFileMode(f));
        Assert.Throws<IOException>(() => DurableFile.OpenPrivate(f, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite));

        // An existing file of an older version is tightened when opened.
        string old = Path.Combine(deep, "old");
        File.WriteAllText(old, "x");
        File.SetUnixFileMode(old, File0600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using (DurableFile.OpenPrivate(old, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite)) { }
        Assert.Equal(File0600, File.GetUnixFileMode(old));
        Assert.Equal("x", File.ReadAllText(old));

        string atomic = Path.Combine(deep, "atomic.json");
        DurableFile.WriteAtomic(atomic, "{}"u8);
        Assert.Equal(File0600, File.GetUnixFileMode(atomic));
    }

    [Fact]
    public void An_sqlite_database_file_is_made_0600_before_sqlite_opens_it_and_old_ones_are_tightened()
    {
        using var dir = new TempDir("sqlite-modes");
        string db = dir.Combine("x.db");
        SqliteFiles.MakePrivate(db);
        Assert.Equal(0, new FileInfo(db).Length);  // an empty file is a new database to SQLite
        Assert.Equal(File0600, File.GetUnixFileMode(db));

        File.WriteAllText(db + "-wal", "");
        File.SetUnixFileMode(db + "-wal", File0600 | UnixFileMode.OtherRead);
        SqliteFiles.MakePrivate(db);
        Assert.Equal(File0600, File.GetUnixFileMode(db + "-wal"));
    }
}
