using System.Runtime.InteropServices;

namespace Snapcat.Array.Volumes;

/// <summary>
/// fsync of a directory, so that a created or removed file name survives power loss (creating and
/// fsyncing the file makes its data durable, not its directory entry). .NET cannot open a directory
/// as a file handle, hence open(2) with O_DIRECTORY.
/// </summary>
internal static class DirectorySync
{
    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000;  // Linux x86-64/arm64

    [DllImport("libc", SetLastError = true, EntryPoint = "open")]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true, EntryPoint = "fsync")]
    private static extern int FsyncFd(int fd);

    [DllImport("libc", SetLastError = true, EntryPoint = "close")]
    private static extern int Close(int fd);

    public static void Fsync(string directory)
    {
        int fd = Open(directory, ORdOnly | ODirectory);
        if (fd < 0) throw Error("open", directory);
        try
        {
            if (FsyncFd(fd) != 0) throw Error("fsync", directory);
        }
        finally
        {
            Close(fd);
        }
    }

    private static IOException Error(string call, string path)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call}({path}) failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
    }
}
