namespace Snapcat.Core.Storage;

/// <summary>
/// Owner-only modes for an SQLite database (the array's management table, the server's catalog).
/// SQLite creates a new database file 0644 (less the umask), and its unix VFS gives the -wal and -shm
/// files the mode of the database file (findCreateFileMode in os_unix.c). So making the database file
/// 0600 before SQLite first opens it makes all three 0600; files of an older version are tightened.
/// </summary>
public static class SqliteFiles
{
    public static void MakePrivate(string databasePath)
    {
        if (OperatingSystem.IsWindows()) return;
        string full = Path.GetFullPath(databasePath);
        if (!File.Exists(full))
        {
            // An empty file is a valid new database for SQLite.
            try { DurableFile.CreateEmptyPrivate(full); }
            catch (IOException) when (File.Exists(full)) { }
            DurableFile.SyncDirectory(Path.GetDirectoryName(full)!);
        }
        foreach (string f in new[] { full, full + "-wal", full + "-shm", full + "-journal" })
            if (File.Exists(f) && (File.GetUnixFileMode(f) & ~DurableFile.PrivateFile) != 0)
                File.SetUnixFileMode(f, DurableFile.PrivateFile);
    }
}
