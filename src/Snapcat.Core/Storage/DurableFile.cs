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
            // Born with its final mode (O_CREAT|O_EXCL with the mode): a chmod after creation would leave
            // a moment in which another user could open the file and keep reading it afterwards.
            if (File.Exists(tmp)) File.Delete(tmp);  // a leftover of a crashed writer with our PID
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
            using (var stream = new FileStream(tmp, options))
            {
                var h = stream.SafeFileHandle;
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(h, mode);  // the umask may have taken bits away
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

    /// <summary>
    /// Creates a directory (and its missing parents) with <paramref name="mode"/> and makes every new
    /// entry durable: each created level's parent is fsynced, top-down, so after a crash the new
    /// directory is never found without the parents that lead to it.
    /// </summary>
    public static void CreateDirectory(string path, UnixFileMode mode = PrivateDirectory)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) return;
        var missing = new Stack<string>();
        for (string? d = full; d is not null && !Directory.Exists(d); d = Path.GetDirectoryName(d)) missing.Push(d);
        while (missing.TryPop(out string? d))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(d);
            else Directory.CreateDirectory(d, mode);
            string? parent = Path.GetDirectoryName(d);
            if (parent is not null) SyncDirectory(parent);
        }
    }

    /// <summary>
    /// <see cref="File.OpenHandle(string, FileMode, FileAccess, FileShare, FileOptions, long)"/> for a
    /// file that holds volume data or management records: a file it creates is born 0600 (never
    /// readable by others, not even for the moment before a chmod), and an existing one is set to 0600
    /// as well (one created by an older version with the process umask).
    /// </summary>
    public static Microsoft.Win32.SafeHandles.SafeFileHandle OpenPrivate(string path, FileMode mode, FileAccess access, FileShare share)
    {
        if (OperatingSystem.IsWindows()) return File.OpenHandle(path, mode, access, share);
        if (mode == FileMode.CreateNew)
        {
            CreateEmptyPrivate(path);  // throws when it exists, as CreateNew must
            mode = FileMode.Open;
        }
        else if (mode is FileMode.Create or FileMode.OpenOrCreate && !File.Exists(path))
        {
            try { CreateEmptyPrivate(path); }
            catch (IOException) when (File.Exists(path)) { }  // created meanwhile by someone else: opened below
        }
        var h = File.OpenHandle(path, mode, access, share);
        try
        {
            File.SetUnixFileMode(h, PrivateFile);
        }
        catch
        {
            h.Dispose();
            throw;
        }
        return h;
    }

    /// <summary>Makes an empty file that is 0600 from its first instant (open with O_CREAT|O_EXCL and that mode).</summary>
    public static void CreateEmptyPrivate(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.ReadWrite, BufferSize = 0 };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = PrivateFile;
        using var _ = new FileStream(path, options);
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
