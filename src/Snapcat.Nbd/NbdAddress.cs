using System.Globalization;
using Snapcat.Core.Errors;

namespace Snapcat.Nbd;

/// <summary>
/// A data port address <c>host:port</c> (the description's FC port address). IPv6 hosts in brackets.
/// The canonical text form is what arrays, agents and catalogs store and compare.
/// </summary>
public readonly record struct NbdAddress(string Host, int Port)
{
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>The NBD URI of an export on this port (shared/specs/nbd.md §11).</summary>
    public string Uri(string exportName) => $"nbd://{this}/{System.Uri.EscapeDataString(exportName)}";

    public static NbdAddress Parse(string text)
    {
        if (!TryParse(text, out var a))
            Throw.Invalid("address.invalid", $"'{text}' is not a data port address; write host:port, e.g. 127.0.0.1:10809");
        return a;
    }

    public static bool TryParse(string? text, out NbdAddress address)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        string host;
        string portText;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']');
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':') return false;
            host = text[1..close];
            portText = text[(close + 2)..];
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon <= 0 || text.IndexOf(':') != colon) return false;
            host = text[..colon];
            portText = text[(colon + 1)..];
        }
        if (host.Length == 0 || host.Any(char.IsWhiteSpace)) return false;
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 0 or > 65535) return false;
        address = new NbdAddress(host, port);
        return true;
    }
}
