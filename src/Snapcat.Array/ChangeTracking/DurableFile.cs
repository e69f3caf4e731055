namespace Snapcat.Array.ChangeTracking;

/// <summary>Whole-file replacement that survives a crash at any point: temp file, fsync, rename, directory fsync.</summary>
public static class DurableFile
{
    public static void Replace(string path, ReadOnlySpan<byte> part1, ReadOnlySpan<byte> part2 = default)
    {
        string tmp = path + ".tmp";
        using (var h = File.OpenHandle(tmp, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(h, part1, 0);
            if (!part2.IsEmpty) RandomAccess.Write(h, part2, part1.Length);
            RandomAccess.FlushToDisk(h);  // contents durable before the name points at them
        }
        File.Move(tmp, path, overwrite: true);
        FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);  // the rename itself durable
    }

    /// <summary>fsync of a directory, so created, renamed and deleted names survive a crash.</summary>
    public static void FsyncDirectory(string directory)
    {
        // .NET cannot open a directory handle; O_RDONLY on a directory plus fsync is what we need.
        int fd = Native.open(directory, 0);
        if (fd < 0) return;  // best effort where directories cannot be opened
        try { Native.fsync(fd); }
        finally { Native.close(fd); }
    }

    private static class Native
    {
        // DllImport rather than LibraryImport: this project does not allow unsafe code, and string
        // marshalling via the source generator would need it.
#pragma warning disable SYSLIB1054
        [System.Runtime.InteropServices.DllImport("libc", CharSet = System.Runtime.InteropServices.CharSet.Ansi)]
        internal static extern int open(string path, int flags);

        [System.Runtime.InteropServices.DllImport("libc")]
        internal static extern int fsync(int fd);

        [System.Runtime.InteropServices.DllImport("libc")]
        internal static extern int close(int fd);
#pragma warning restore SYSLIB1054
    }
}
