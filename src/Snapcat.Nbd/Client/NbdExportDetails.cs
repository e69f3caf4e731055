using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Client;

/// <summary>NBD_INFO_BLOCK_SIZE (shared/specs/nbd.md §5): alignment, preferred size and largest payload.</summary>
public readonly record struct NbdBlockSizes(uint Minimum, uint Preferred, uint Maximum)
{
    /// <summary>
    /// The constraints libnbd accepts: minimum a power of two ≤ 64 KiB, preferred a power of two
    /// ≥ max(minimum, 512), maximum ≥ preferred. Anything else is ignored as if not sent.
    /// </summary>
    public bool IsValid =>
        Minimum is > 0 and <= 65536 && uint.IsPow2(Minimum)
        && uint.IsPow2(Preferred) && Preferred >= Math.Max(Minimum, 512u)
        && Maximum >= Preferred;
}

/// <summary>What the server told about one export during the handshake (INFO/GO or EXPORT_NAME).</summary>
public sealed record NbdExportDetails(
    NbdAddress Address,
    string ExportName,
    string? Description,
    long Size,
    NbdTransmissionFlags TransmissionFlags,
    NbdBlockSizes? BlockSizes)
{
    public bool IsReadOnly => (TransmissionFlags & NbdTransmissionFlags.ReadOnly) != 0;

    /// <summary>The array's device ID and volume, when the description is Snapcat's Inquiry form.</summary>
    public InquiryDescription? Inquiry => InquiryDescription.TryParse(Description, out var i) ? i : null;
}
