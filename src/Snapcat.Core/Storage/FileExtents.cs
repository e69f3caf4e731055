using Microsoft.Win32.SafeHandles;

namespace Snapcat.Core.Storage;

/// <summary>Maps a sparse file's data and holes with SEEK_DATA/SEEK_HOLE (granularity: the file system block).</summary>
internal static class FileExtents
{
    /// <summary>Bounds one answer so an NBD BLOCK_STATUS reply stays small; callers ask again from where it ends.</summary>
    public const int MaxExtents = 2048;

    public static IReadOnlyList<BlockExtent> Scan(SafeFileHandle h, long offset, long length)
    {
        var list = new List<BlockExtent>();
        long end = offset + length;
        long pos = offset;
        while (pos < end && list.Count < MaxExtents)
        {
            long data = LinuxFile.NextData(h, pos);
            if (data < 0 || data >= end)
            {
                list.Add(new BlockExtent(pos, end - pos, ExtentFlags.Hole | ExtentFlags.Zero));
                break;
            }
            if (data > pos)
            {
                list.Add(new BlockExtent(pos, data - pos, ExtentFlags.Hole | ExtentFlags.Zero));
                pos = data;
                continue;
            }
            long hole = Math.Min(LinuxFile.NextHole(h, pos), end);
            list.Add(new BlockExtent(pos, hole - pos, ExtentFlags.Data));
            pos = hole;
        }
        return list;
    }
}
