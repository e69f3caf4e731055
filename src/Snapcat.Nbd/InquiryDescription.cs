using System.Globalization;
using System.Text.RegularExpressions;

namespace Snapcat.Nbd;

/// <summary>
/// The answer to Snapcat's Inquiry: the NBD export description (NBD_INFO_DESCRIPTION and the
/// NBD_REP_SERVER description of LIST) names the array's device ID and the volume behind the export.
/// Form (docs/nbd.md): <c>snapcat-array device-id=ARRAY-01 volume=3</c>, optionally followed by more
/// <c>key=value</c> words that readers ignore. Device IDs are printable ASCII without spaces or '='.
/// </summary>
public sealed partial record InquiryDescription(string DeviceId, uint Volume)
{
    public const string Prefix = "snapcat-array";

    public override string ToString() => $"{Prefix} device-id={DeviceId} volume={Volume.ToString(CultureInfo.InvariantCulture)}";

    public static bool TryParse(string? text, out InquiryDescription? inquiry)
    {
        inquiry = null;
        if (text is null) return false;
        var m = Pattern().Match(text);
        if (!m.Success) return false;
        if (!uint.TryParse(m.Groups["vol"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out uint volume)) return false;
        inquiry = new InquiryDescription(m.Groups["dev"].Value, volume);
        return true;
    }

    public static bool IsValidDeviceId(string? id) => id is { Length: > 0 and <= 32 } && DeviceIdPattern().IsMatch(id);

    [GeneratedRegex(@"^snapcat-array device-id=(?<dev>[!-<>-~]+) volume=(?<vol>[0-9]{1,10})(?: |$)")]
    private static partial Regex Pattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
    private static partial Regex DeviceIdPattern();
}
