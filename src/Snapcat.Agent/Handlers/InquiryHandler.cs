using System.Globalization;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;

namespace Snapcat.Agent.Handlers;

/// <summary>
/// The Inquiry (FIG. 8 step 1603's first half): ask the NBD server behind a port/LUN for the export's
/// description, which a Snapcat array fills with its device ID and the volume number
/// ("snapcat-array device-id=X volume=N", docs/nbd.md). NBD_OPT_INFO only: no data is touched and no
/// transmission session is opened.
///
/// Only ports named in the agent's own configuration (port correspondence or restore port table) are
/// asked: the agent connects to nothing it was not configured for, even when a server asks.
/// </summary>
public sealed class InquiryHandler(AgentRuntime runtime)
{
    public async Task<InquiryDto> InquireAsync(string? port, long? lun, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(port))
            Throw.Invalid("inquiry.missing_port", "the Inquiry needs ?port=HOST:PORT (a data port) and &lun=N");
        if (lun is null or < 0 or > uint.MaxValue)
            Throw.Invalid("inquiry.bad_lun", $"the Inquiry needs &lun=N with N a whole number from 0; got '{lun}'");
        var address = NbdAddress.Parse(port);
        bool known = runtime.Config.PortCorrespondence.Any(p => p.DataPortAddress == address)
                     || runtime.Config.RestorePorts.Any(p => p.DataPortAddress == address);
        if (!known)
            Throw.Forbidden("inquiry.port_not_configured",
                $"data port {address} is in neither the port correspondence table nor the restore port table of host {runtime.Config.HostName}; the agent asks only the ports it is configured for");
        var options = await runtime.NbdOptionsForPortAsync(address, ct).ConfigureAwait(false);
        return await InquireAsync(address, (uint)lun.Value, options, ct).ConfigureAwait(false);
    }

    /// <param name="options">the NBD client options (TLS credentials) for the port's array</param>
    public static async Task<InquiryDto> InquireAsync(NbdAddress address, uint lun, NbdClientOptions? options, CancellationToken ct)
    {
        string export = lun.ToString(CultureInfo.InvariantCulture);
        var details = await NbdClient.InquireAsync(address, export, options, ct).ConfigureAwait(false);
        var inquiry = details.Inquiry;
        if (inquiry is null)
            Throw.Remote("inquiry.not_snapcat",
                $"the NBD server at {address} answered the Inquiry for LUN {lun} with description '{details.Description ?? "(none)"}', " +
                $"not '{InquiryDescription.Prefix} device-id=… volume=…'; it is not a Snapcat array, so its device ID is unknown");
        return new InquiryDto(address.ToString(), lun, inquiry.DeviceId, inquiry.Volume, details.Size, details.Description!);
    }
}
