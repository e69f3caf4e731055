using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Snapcat.TestKit;

/// <summary>
/// A test CA and the certificates it signs, made at run time (ECDSA P-256): the one place where the
/// NBD TLS test material (<see cref="NbdTlsFiles"/>, <see cref="NbdTlsMaterial"/>) builds certificates.
/// </summary>
public static class TestCertificates
{
    /// <summary>A self-signed CA certificate; <paramref name="key"/> signs what <see cref="Issue"/> makes.</summary>
    public static X509Certificate2 CreateCa(string subject, DateTimeOffset notBefore, DateTimeOffset notAfter, out ECDsa key)
    {
        key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        return req.CreateSelfSigned(notBefore, notAfter);
    }

    /// <summary>
    /// A certificate for <paramref name="subject"/> signed by <paramref name="ca"/>: server authentication with
    /// SANs for 127.0.0.1 and localhost when <paramref name="server"/>, client authentication otherwise. The
    /// certificate returned carries its private key; <paramref name="keyPem"/> is that key as PKCS#8 PEM.
    /// </summary>
    public static X509Certificate2 Issue(X509Certificate2 ca, ECDsa caKey, string subject, bool server,
        DateTimeOffset notBefore, DateTimeOffset notAfter, out string keyPem)
    {
        ArgumentNullException.ThrowIfNull(ca);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            req.CertificateExtensions.Add(san.Build());
        }
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var cert = req.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), notBefore, notAfter, serial);
        keyPem = key.ExportPkcs8PrivateKeyPem();
        return cert.CopyWithPrivateKey(key);
    }
}
