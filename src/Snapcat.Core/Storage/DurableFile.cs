using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Snapcat.Core.Storage;

/// <summary>
/// The one crash-safe file helper of Snapcat (the array's snapshot list and change bitmaps, the
/// agent's pending-thaw journal, the tape library's exports). Every method throws
/// <see cref="IOException"/> when the kernel reports a failure: a durability step that fails
/// silently is a promise broken without anyone knowing.
/// Files it creates are 0600 by default: they hold volume data, tokens or management records.
/// </summary>
public static partial class DurableFile
{
    private const int ORdOnly = 0, ODirectory = 0x10000, OCloexec = 0x80000;

    /// <summary>Owner read/write only, the mode of every file Snapcat creates that holds data or secrets.</summary>
    public const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Owner only, the mode of every directory Snapcat creates for its state.</summary>
    public const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    /// <summary>
    /// Writes <paramref name="part1"/> followed by <paramref name="part2"/> to <paramref name="path"/>
    /// atomically and durably. Order (each step must finish before the next):
    /// 1. write the bytes to a temporary name in the same directory and fsync it — the data is on disk
    ///    before any name points to it;
    /// 2. rename over the final name — atomic on one file system, so readers see the old or the new file;
    /// 3. fsync the directory — the rename itself (a directory entry) is only durable after this.
    /// </summary>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> part1, ReadOnlySpan<byte> part2 = default, UnixFileMode mode = PrivateFile)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string tmp = Path.Combine(dir, "." + Path.GetFileName(path) + ".tmp-" + Environment.ProcessId);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
            using (var h = File.OpenHandle(tmp, options.Mode, options.Access, options.Share, FileOptions.None, options.PreallocationSize))
            {
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(h, mode);
                RandomAccess.Write(h, part1, 0);
                if (!part2.IsEmpty) RandomAccess.Write(h, part2, part1.Length);
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

    /// <summary>
    /// Renames <paramref name="source"/> to <paramref name="destination"/> and fsyncs both directories,
    /// the destination's first: after a crash the file is then found under its new name, or still under
    /// its old one, never under neither.
    /// </summary>
    public static void MoveDurably(string source, string destination, bool overwrite = false)
    {
        File.Move(source, destination, overwrite);
        string to = Path.GetDirectoryName(Path.GetFullPath(destination))!;
        string from = Path.GetDirectoryName(Path.GetFullPath(source))!;
        SyncDirectory(to);
        if (from != to) SyncDirectory(from);
    }

    /// <summary>Creates a directory (and its parents) with <paramref name="mode"/> and makes its entry durable.</summary>
    public static void CreateDirectory(string path, UnixFileMode mode = PrivateDirectory)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(full);
        else Directory.CreateDirectory(full, mode);
        string? parent = Path.GetDirectoryName(full);
        if (parent is not null) SyncDirectory(parent);
    }

    /// <summary>fsync(2) on a directory: makes creations, renames and unlinks inside it durable.</summary>
    public static void SyncDirectory(string directory)
    {
        int fd = Open(directory, ORdOnly | ODirectory | OCloexec);
        if (fd < 0) throw new IOException($"cannot open directory {directory} to sync it: {Errno()}", new Win32Exception(Marshal.GetLastPInvokeError()));
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync of directory {directory} failed: {Errno()}", new Win32Exception(Marshal.GetLastPInvokeError()));
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static string Errno()
    {
        int errno = Marshal.GetLastPInvokeError();
        return $"errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})";
    }
}
