using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Fixtures;

/// <summary>What a test part needs of the machine; null when it is there, else the reason the part is skipped (printed).</summary>
public static class Needs
{
    /// <summary>An ext4 file system made with mke2fs and written with nbdcopy.</summary>
    public static string? Ext4() => Missing("mke2fs", "nbdcopy");

    /// <summary>A file restore: the agent attaches the backup volume with FUSE and mounts it, so root, /dev/fuse and the tools.</summary>
    public static string? FileRestore()
    {
        if (Environment.UserName != "root") return "file restore mounts the backup volume: needs root";
        if (!File.Exists("/dev/fuse")) return "file restore attaches with FUSE: needs /dev/fuse";
        return Missing("mke2fs", "nbdcopy", "nbdfuse", "fusermount3", "fsck.ext4", "mount", "umount");
    }

    private static string? Missing(params string[] tools) =>
        tools.FirstOrDefault(t => !Tool.Exists(t)) is { } t ? $"needs {t}" : null;
}
