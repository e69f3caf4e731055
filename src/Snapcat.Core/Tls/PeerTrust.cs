using System.Security.Cryptography.X509Certificates;

namespace Snapcat.Core.Tls;

/// <summary>
/// How a client checks the certificate of a control API it calls: a pinned SHA-256 <see cref="Fingerprint"/>
/// (exact match, as Proxmox Backup Server pins its server), and/or the CA certificates of <see cref="CaFile"/>
/// (the chain must build to one of them and the host name must match). With neither, the system's trust store decides.
/// </summary>
/// <param name="Fingerprint">32 bytes, or null.</param>
/// <param name="CaFile">The PEM file the CA certificates came from, for messages.</param>
/// <param name="CaCertificates">The CA certificates of <paramref name="CaFile"/>.</param>
public sealed record PeerTrust(byte[]? Fingerprint, string? CaFile = null, X509Certificate2Collection? CaCertificates = null)
{
    /// <summary>A trust that pins this certificate (tests, the quickstart: each daemon's own self-signed certificate).</summary>
    public static PeerTrust Pin(X509Certificate certificate) => new(CertificateFingerprint.Of(certificate));

    public static PeerTrust Pin(string fingerprint) =>
        new(CertificateFingerprint.TryParse(fingerprint) ?? throw new ArgumentException($"'{fingerprint}' is not a SHA-256 fingerprint", nameof(fingerprint)));

    public bool IsSystemTrust => Fingerprint is null && CaCertificates is null;
}
