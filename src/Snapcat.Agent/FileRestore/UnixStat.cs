using System.Runtime.InteropServices;

namespace Snapcat.Agent.FileRestore;

/// <summary>
/// What .NET does not expose about a file: its type without following links, and its owner.
/// statx(2) because its buffer layout is the same on every architecture (unlike struct stat);
/// lchown(2) to set the owner of the entry itself, link or not.
/// </summary>
internal static partial class UnixStat
{
    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1, StatxUid = 0x8, StatxGid = 0x10;

    // struct statx (linux/stat.h), native byte order: stx_mask u32 @0, stx_blksize u32 @4,
    // stx_attributes u64 @8, stx_nlink u32 @16, stx_uid u32 @20, stx_gid u32 @24, stx_mode u16 @28,
    // … 256 bytes in total. File type bits of the mode (inode(7)): S_IFMT 0xF000.
    private const int OffUid = 20, OffGid = 24, OffMode = 28, StatxSize = 256;
    private const int SIfMt = 0xF000, SIfReg = 0x8000, SIfDir = 0x4000, SIfLnk = 0xA000;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Lchown(string path, uint owner, uint group);

    public enum EntryType { None, File, Directory, Symlink, Other }

    /// <summary>The type of the entry itself (lstat semantics).</summary>
    public static EntryType TypeOf(string path)
    {
        Span<byte> buf = stackalloc byte[StatxSize];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buf) != 0) return EntryType.None;
        return (BitConverter.ToUInt16(buf[OffMode..]) & SIfMt) switch
        {
            SIfReg => EntryType.File,
            SIfDir => EntryType.Directory,
            SIfLnk => EntryType.Symlink,
            _ => EntryType.Other, // FIFO, socket, device node: opening a FIFO to copy it would block
        };
    }

    /// <summary>Copies owner and group from <paramref name="source"/>; false when not permitted (not root).</summary>
    public static bool CopyOwner(string source, string destination)
    {
        Span<byte> buf = stackalloc byte[StatxSize];
        if (Statx(AtFdCwd, source, AtSymlinkNoFollow, StatxUid | StatxGid, buf) != 0) return false;
        return Lchown(destination, BitConverter.ToUInt32(buf[OffUid..]), BitConverter.ToUInt32(buf[OffGid..])) == 0;
    }
}
