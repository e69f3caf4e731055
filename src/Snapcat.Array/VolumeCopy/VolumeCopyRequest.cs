namespace Snapcat.Array.VolumeCopy;

/// <summary>The copy source: its data, and its volume information as the management table holds it (null: none).</summary>
public sealed record VolumeCopySource(uint Number, IBlockDevice Device, byte[]? VolumeInfo);

/// <summary>A destination volume of the same array (FIG. 19 step 3643/3647).</summary>
public sealed record LocalCopyDestination(uint Number, IBlockDevice Device, IVolumeInfoTable Table);

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
    bool VolumeInfoCopied);
