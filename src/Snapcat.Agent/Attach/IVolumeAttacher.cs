using Snapcat.Nbd;
using Snapcat.Nbd.Client;

namespace Snapcat.Agent.Attach;

/// <summary>
/// Makes a backup volume that an array has assigned to one of the agent's restore ports readable as a
/// mounted, read-only file system (FIG. 13 steps 1631–1632 on the host side), and takes it away again.
/// Implementations: <see cref="NbdFuseAttacher"/> (nbdfuse + loop mount); a kernel nbd-client or a
/// user-space file-system reader can be added behind the same interface.
/// </summary>
public interface IVolumeAttacher
{
    /// <summary>
    /// Attaches, checks and mounts read-only. On any failure, every step already done is undone in
    /// reverse order before the error is thrown.
    /// </summary>
    Task<VolumeAttachment> AttachAsync(AttachRequest request, LogSink log, CancellationToken ct);
}

/// <param name="DataPort">the array's data port the backup volume is assigned to</param>
/// <param name="ExportName">the NBD export name: the LUN in decimal</param>
/// <param name="MountDirectory">where the file system is mounted read-only (restore port table)</param>
/// <param name="WorkDirectory">a directory of the agent's own for the attach machinery (FUSE mount point)</param>
/// <param name="ExpectedSize">the volume's size when known; attach waits until the device shows it</param>
public sealed record AttachRequest(NbdAddress DataPort, string ExportName, string MountDirectory, string WorkDirectory, long? ExpectedSize = null)
{
    public string FileSystemType { get; init; } = "ext4";
    /// <summary>Run the file system's read-only check before mounting (FIG. 13's "inspection").</summary>
    public bool CheckFileSystem { get; init; } = true;

    /// <summary>The agent's TLS credentials for the array behind <see cref="DataPort"/>; null: plain NBD.</summary>
    public NbdClientTls? Tls { get; init; }

    /// <summary>The export as people read it in logs (nbds:// when TLS is on); the tool URI adds the credential files.</summary>
    public string Uri => Tls is null ? DataPort.Uri(ExportName) : "nbds" + DataPort.Uri(ExportName)["nbd".Length..];
}
