using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Snapcat.Core.Tls;

/// <summary>
/// The SHA-256 fingerprint of a certificate's DER encoding, as Snapcat shows and pins it: upper-case hex in
/// pairs joined by colons (<c>AB:CD:…</c>, 95 characters), the form <c>openssl x509 -fingerprint -sha256</c> prints.
/// Parsing accepts colons or none, any case.
/// </summary>
public static class CertificateFingerprint
{
    public const int Length = 32;

    public static byte[] Of(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return SHA256.HashData(certificate.GetRawCertData());
    }

    public static string Format(ReadOnlySpan<byte> fingerprint) => Convert.ToHexString(fingerprint).Chunk(2).Select(p => new string(p)).Aggregate((a, b) => a + ":" + b);

    public static string Show(X509Certificate certificate) => Format(Of(certificate));

    /// <summary>32 bytes, or null when <paramref name="text"/> is not 64 hex digits (colons and spaces between pairs allowed).</summary>
    public static byte[]? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        string hex = text.Trim().Replace(":", "", StringComparison.Ordinal);
        if (hex.Length != 2 * Length) return null;
        var bytes = new byte[Length];
        for (int i = 0; i < Length; i++)
            if (!byte.TryParse(hex.AsSpan(2 * i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i])) return null;
        return bytes;
    }
}
