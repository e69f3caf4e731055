using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Snapcat.Core.Storage;

/// <summary>
/// preadv2(2) with RWF_NOWAIT: copies what the page cache already holds and never waits for the
/// disk, so a caller can serve cached data on its own thread and send only real disk reads to
/// the thread pool.
/// </summary>
internal static partial class CachedRead
{
    private const int RwfNowait = 0x08;

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint preadv2(int fd, IoVec* iov, int iovcnt, long offset, int flags);

    // Cleared for good on the first ENOSYS/EOPNOTSUPP: other kernels or file systems just take the async path.
    private static volatile bool s_supported = OperatingSystem.IsLinux();

    /// <summary>
    /// Bytes read at once from the page cache: 0 when nothing is cached (EAGAIN), at end of file, or
    /// on any error — the caller then reads the rest the ordinary way, which reports errors properly.
    /// </summary>
    public static unsafe int TryRead(SafeFileHandle h, Span<byte> buffer, long offset)
    {
        if (!s_supported || buffer.Length == 0) return 0;
        bool added = false;
        h.DangerousAddRef(ref added);
        try
        {
            fixed (byte* p = buffer)
            {
                var iov = new IoVec { Base = p, Length = (nuint)buffer.Length };
                nint n = preadv2((int)h.DangerousGetHandle(), &iov, 1, offset, RwfNowait);
                if (n >= 0) return (int)n;
                int errno = Marshal.GetLastPInvokeError();
                if (errno is 38 or 95 or 22) s_supported = false;  // ENOSYS, EOPNOTSUPP, EINVAL (flag unknown)
                return 0;
            }
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
        finally
        {
            if (added) h.DangerousRelease();
        }
    }
}
