using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Snapcat.Core.Storage;

/// <summary>
/// The few Linux file calls .NET does not wrap: fallocate(2) to punch holes and zero ranges, and
/// lseek(2) SEEK_DATA/SEEK_HOLE to find a sparse file's allocated extents.
/// </summary>
internal static partial class LinuxFile
{
    private const int FallocKeepSize = 0x01, FallocPunchHole = 0x02, FallocZeroRange = 0x10;
    private const int SeekData = 3, SeekHole = 4;
    private const int ENXIO = 6, EOPNOTSUPP = 95, ENOSYS = 38;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fallocate(int fd, int mode, long offset, long len);

    [LibraryImport("libc", SetLastError = true)]
    private static partial long lseek(int fd, long offset, int whence);

    private static int Fd(SafeFileHandle h) => (int)h.DangerousGetHandle();

    /// <summary>Deallocates the range; it reads back as zeroes. Returns false when the file system cannot punch holes.</summary>
    public static bool PunchHole(SafeFileHandle h, long offset, long length) =>
        Fallocate(h, FallocPunchHole | FallocKeepSize, offset, length);

    /// <summary>Zeroes the range keeping it allocated (FALLOC_FL_ZERO_RANGE). Returns false when unsupported.</summary>
    public static bool ZeroRange(SafeFileHandle h, long offset, long length) =>
        Fallocate(h, FallocZeroRange | FallocKeepSize, offset, length);

    private static bool Fallocate(SafeFileHandle h, int mode, long offset, long length)
    {
        bool added = false;
        h.DangerousAddRef(ref added);
        try
        {
            if (fallocate(Fd(h), mode, offset, length) == 0) return true;
            int errno = Marshal.GetLastPInvokeError();
            if (errno is EOPNOTSUPP or ENOSYS) return false;
            throw new IOException($"fallocate(mode 0x{mode:x}, {offset}, {length}) failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
        }
        finally
        {
            if (added) h.DangerousRelease();
        }
    }

    /// <summary>
    /// lseek SEEK_DATA: the first data offset at or after <paramref name="offset"/>, or -1 when only a
    /// hole follows (ENXIO).
    /// </summary>
    public static long NextData(SafeFileHandle h, long offset) => Seek(h, offset, SeekData);

    /// <summary>lseek SEEK_HOLE: the first hole at or after <paramref name="offset"/> (end of file counts as a hole).</summary>
    public static long NextHole(SafeFileHandle h, long offset) => Seek(h, offset, SeekHole);

    private static long Seek(SafeFileHandle h, long offset, int whence)
    {
        bool added = false;
        h.DangerousAddRef(ref added);
        try
        {
            // lseek moves the shared file position; RandomAccess uses pread/pwrite, which ignore it.
            long r = lseek(Fd(h), offset, whence);
            if (r >= 0) return r;
            int errno = Marshal.GetLastPInvokeError();
            if (errno == ENXIO) return -1;
            throw new IOException($"lseek({offset}, {(whence == SeekData ? "SEEK_DATA" : "SEEK_HOLE")}) failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
        }
        finally
        {
            if (added) h.DangerousRelease();
        }
    }
}
