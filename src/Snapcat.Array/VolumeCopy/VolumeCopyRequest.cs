using Snapcat.Array.Integrity;
using Snapcat.Core.Integrity;

namespace Snapcat.Array.VolumeCopy;

/// <summary>
/// The copy source: its data, and its volume information as the management table holds it (null: none).
/// <paramref name="KeptDigest"/>: reads the source's valid content digest (null: none), which the copy's data is checked
/// against; it runs in the job, before any write, so a damaged digest file fails the copy cleanly.
/// </summary>
public sealed record VolumeCopySource(uint Number, IBlockDevice Device, byte[]? VolumeInfo, Func<ContentDigest?>? KeptDigest = null);

/// <summary>
/// A destination volume of the same array (FIG. 19 step 3643/3647). With <paramref name="Digests"/>, <paramref name="Device"/>
/// must be a view without the digest store's hook: the copy drops the destination's digest itself and seals the new one.
/// </summary>
public sealed record LocalCopyDestination(uint Number, IBlockDevice Device, IVolumeInfoTable Table, DigestStore? Digests = null);

/// <summary>A port address + LUN of another array, known by its device ID (FIG. 19 step 3642/3646).</summary>
public sealed record PeerCopyDestination(string DeviceId, string Port, uint Lun);

/// <summary>Where step 3647 records volume information on this array: the management table.</summary>
public interface IVolumeInfoTable
{
    void PutVolumeInfo(uint number, ReadOnlySpan<byte> info);

    void DeleteVolumeInfo(uint number);
}

/// <summary>Progress (bytes done, total) and log lines of a copy; a job passes its context's.</summary>
public sealed record VolumeCopyObserver(Action<long, long>? Progress = null, Action<string>? Log = null)
{
    public static readonly VolumeCopyObserver None = new();
}

/// <summary>What a finished copy did; the job's result.</summary>
public sealed record VolumeCopyResult(
    uint Source,
    string DestinationDeviceId,
    uint DestinationVolume,
    string? DestinationPort,
    uint? DestinationLun,
    long Size,
    long BytesCopied,
    long BytesZeroed,
    bool VolumeInfoCopied,
    string? DigestRoot = null,
    bool DigestChecked = false);
