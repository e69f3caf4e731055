using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Snapcat.Agent.Durability;

/// <summary>
/// Crash-safe small files: the agent's pending-thaw journal must say either "nothing pending" or the
/// whole pending entry after a power cut, never a torn half.
/// </summary>
public static partial class DurableFile
{
    private const int ORdOnly = 0, ODirectory = 0x10000, OCloexec = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    /// <summary>
    /// Writes <paramref name="contents"/> to <paramref name="path"/> atomically and durably. Order:
    /// 1. write the bytes to a temporary name in the same directory and fsync it — the data is on disk
    ///    before any name points to it;
    /// 2. rename over the final name — atomic on one file system, so readers see the old or the new file;
    /// 3. fsync the directory — the rename itself (a directory entry) is only durable after this.
    /// </summary>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> contents)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string tmp = Path.Combine(dir, "." + Path.GetFileName(path) + ".tmp-" + Environment.ProcessId);
        try
        {
            using (var h = File.OpenHandle(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                RandomAccess.Write(h, contents, 0);
                RandomAccess.FlushToDisk(h);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
        SyncDirectory(dir);
    }

    /// <summary>Removes a file and makes the removal durable (fsync of the directory that held the entry).</summary>
    public static void DeleteDurably(string path)
    {
        if (!File.Exists(path)) return;
        File.Delete(path);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>fsync(2) on a directory: makes creations, renames and unlinks inside it durable.</summary>
    public static void SyncDirectory(string directory)
    {
        int fd = Open(directory, ORdOnly | ODirectory | OCloexec);
        if (fd < 0) throw new IOException($"cannot open directory {directory} to sync it", new Win32Exception(Marshal.GetLastPInvokeError()));
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync of directory {directory} failed", new Win32Exception(Marshal.GetLastPInvokeError()));
        }
        finally
        {
            _ = Close(fd);
        }
    }
}
