using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Snapcat.Core.Storage;

namespace Snapcat.Core.Tls;

/// <summary>
/// Makes the key pair and certificate a control API serves: ECDSA P-256, subject CN = the host name, subject
/// alternative names for localhost, 127.0.0.1, ::1, the host name and any extra names, valid for ten years by
/// default (a pinned fingerprint changes only when the certificate does). Self-signed unless an issuer is given
/// (tests make a small CA this way). <c>snapcat init</c>, the quickstart and the test system all use it.
/// </summary>
public static class ControlCertificate
{
    public static readonly TimeSpan DefaultValidity = TimeSpan.FromDays(3650);

    /// <param name="notBefore">Start of validity; default one hour ago (clocks of peers differ a little).</param>
    /// <param name="issuer">A CA certificate with its private key that signs this one; null: self-signed.</param>
    /// <param name="isCa">Marks the certificate as a CA (for a test CA).</param>
    public static X509Certificate2 Create(string? hostName = null, IEnumerable<string>? extraNames = null, DateTimeOffset? notBefore = null,
        TimeSpan? validity = null, X509Certificate2? issuer = null, bool isCa = false)
    {
        string host = string.IsNullOrWhiteSpace(hostName) ? Dns.GetHostName() : hostName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + host.Replace(",", "\\,", StringComparison.Ordinal)), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in new[] { "localhost", "127.0.0.1", "::1", host }.Concat(extraNames ?? []))
        {
            if (string.IsNullOrWhiteSpace(name) || !seen.Add(name)) continue;
            if (IPAddress.TryParse(name, out var ip)) san.AddIpAddress(ip);
            else san.AddDnsName(name);
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            isCa ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature : X509KeyUsageFlags.DigitalSignature, true));
        if (!isCa)
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));  // serverAuth
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        var from = notBefore ?? DateTimeOffset.UtcNow.AddHours(-1);
        var to = from + (validity ?? DefaultValidity);
        if (issuer is null) return request.CreateSelfSigned(from, to);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;  // a positive serial number (RFC 5280 §4.1.2.2)
        using var signed = request.Create(issuer, from, to, serial);
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>Writes the certificate and its private key as PEM files, 0600 each, durably (a daemon must find both after a power loss).</summary>
    public static void Write(X509Certificate2 certificate, string certificateFile, string keyFile)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var key = certificate.GetECDsaPrivateKey() ?? throw new ArgumentException("the certificate has no ECDSA private key", nameof(certificate));
        DurableFile.WriteAtomic(certificateFile, Encoding.ASCII.GetBytes(certificate.ExportCertificatePem() + "\n"));
        DurableFile.WriteAtomic(keyFile, Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem() + "\n"));
    }

    /// <summary>Creates a self-signed certificate for this host, writes it, and returns it (its fingerprint is what peers pin).</summary>
    public static X509Certificate2 CreateFiles(string certificateFile, string keyFile, string? hostName = null, IEnumerable<string>? extraNames = null)
    {
        var cert = Create(hostName, extraNames);
        Write(cert, certificateFile, keyFile);
        return cert;
    }
}
