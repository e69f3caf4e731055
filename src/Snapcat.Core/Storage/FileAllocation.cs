using System.Runtime.InteropServices;

namespace Snapcat.Core.Storage;

/// <summary>Allocated space of a sparse file (st_blocks × 512), which <see cref="FileInfo"/> does not expose.</summary>
public static partial class FileAllocation
{
    private const int AtFdCwd = -100;
    private const uint StatxBlocks = 0x400;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buf);

    public static unsafe long AllocatedBytes(string path)
    {
        // struct statx (linux/stat.h) is 256 bytes; stx_blocks is the u64 at offset 48.
        byte* buf = stackalloc byte[256];
        if (statx(AtFdCwd, path, 0, StatxBlocks, buf) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"statx({path}) failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
        }
        return *(long*)(buf + 48) * 512;
    }
}
