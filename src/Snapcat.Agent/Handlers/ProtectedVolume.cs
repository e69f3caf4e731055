using Snapcat.Agent.Config;

namespace Snapcat.Agent.Handlers;

/// <summary>
/// A protected volume as the flows need it: its row of the port correspondence table (FIG. 3) and what
/// the Inquiry on that port/LUN answered (the array's device ID and the volume number behind the LUN).
/// </summary>
public sealed record ProtectedVolume(PortCorrespondenceEntry Entry, string Port, uint Lun, string DeviceId, uint Volume, long Size)
{
    public string MountPoint => Entry.MountPoint;

    /// <summary>Mount point → port/LUN (FIG. 3) → Inquiry → device ID and volume.</summary>
    public static async Task<ProtectedVolume> ResolveAsync(AgentRuntime runtime, string mountPoint, CancellationToken ct)
    {
        var entry = runtime.VolumeFor(mountPoint);
        var address = entry.DataPortAddress;
        uint lun = checked((uint)entry.Lun);
        Snapcat.Contracts.Agent.InquiryDto inquiry;
        try
        {
            var options = await runtime.NbdOptionsForPortAsync(address, ct).ConfigureAwait(false);
            inquiry = await InquiryHandler.InquireAsync(address, lun, options, ct).ConfigureAwait(false);
        }
        catch (SnapcatException ex) when (ex.Code is "nbd.export_not_found")
        {
            throw new SnapcatException(ErrorKind.NotFound, "inquiry.lun_unknown",
                $"mount point {mountPoint} is port {address} LUN {lun} in the port correspondence table, but the array there has no volume at that LUN ({ex.Message})", ex);
        }
        return new ProtectedVolume(entry, address.ToString(), lun, inquiry.DeviceId, inquiry.Volume, inquiry.Size);
    }
}
