namespace Snapcat.Core.Storage;

/// <summary>
/// Free and total bytes of the file system that holds a path: statvfs(2), which is what <see cref="DriveInfo"/> asks
/// for any path on Linux. <see cref="FreeBytes"/> is the space available to an unprivileged writer, as df shows it.
/// </summary>
public readonly record struct FileSystemSpace(long FreeBytes, long TotalBytes)
{
    /// <summary>Share of the file system not available to an unprivileged writer (df's "Use%"); 100 for a size of 0.</summary>
    public double UsedPercent => TotalBytes > 0 ? 100.0 * (TotalBytes - FreeBytes) / TotalBytes : 100;

    /// <summary>The space of <paramref name="path"/>'s file system, or null with the reason when it cannot be read.</summary>
    public static FileSystemSpace? TryRead(string path, out string? problem)
    {
        try
        {
            var drive = new DriveInfo(path);
            problem = null;
            return new FileSystemSpace(drive.AvailableFreeSpace, drive.TotalSize);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            problem = ex.Message;
            return null;
        }
    }
}
