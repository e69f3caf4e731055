using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Snapcat.Core.Errors;

namespace Snapcat.Core.Tls;

/// <summary>
/// A control API's HTTPS identity after loading: absolute paths of the PEM certificate and key. <see cref="Load"/>
/// reads them into a certificate with its private key; a missing, unreadable or malformed file, or a key that
/// does not belong to the certificate, is a <c>config.tls_*</c> error naming the file.
/// </summary>
public sealed record ControlTls(string CertificateFile, string KeyFile)
{
    public X509Certificate2 Load()
    {
        Require(CertificateFile, "certificateFile");
        Require(KeyFile, "keyFile");
        X509Certificate2 cert;
        try
        {
            cert = X509Certificate2.CreateFromPemFile(CertificateFile, KeyFile);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new SnapcatException(ErrorKind.Invalid, "config.tls_bad_pem",
                $"control.tls: certificate {CertificateFile} with key {KeyFile} cannot be loaded ({ex.Message}); " +
                "both must be PEM files and the key must be the certificate's (snapcat init writes a matching pair)", ex);
        }
        if (!cert.HasPrivateKey)
        {
            cert.Dispose();
            Throw.Invalid("config.tls_bad_pem", $"control.tls: key {KeyFile} holds no private key for certificate {CertificateFile}");
        }
        return cert;
    }

    private static void Require(string path, string member)
    {
        if (!File.Exists(path))
            Throw.Invalid("config.tls_missing", $"control.tls.{member} {path} does not exist; run 'snapcat init' to write a key and certificate, or name the right file");
        try
        {
            using var _ = File.OpenRead(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SnapcatException(ErrorKind.Invalid, "config.tls_unreadable", $"control.tls.{member} {path} cannot be read: {ex.Message}", ex);
        }
    }
}
