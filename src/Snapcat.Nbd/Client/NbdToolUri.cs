using Snapcat.Core.Errors;

namespace Snapcat.Nbd.Client;

/// <summary>
/// NBD URIs for libnbd's tools (nbdfuse, nbdinfo, nbdcopy), carrying the same TLS credentials as
/// Snapcat's own client. libnbd reads credentials from files, never from the URI itself:
/// <list type="bullet">
/// <item>PSK: <c>nbds://USER@host:port/LUN?tls-psk-file=FILE</c>. The username goes in the authority:
/// libnbd 1.14 (Debian 12) knows no <c>tls-username</c> parameter and would otherwise log in as the
/// local user name.</item>
/// <item>X.509: <c>nbds://host:port/LUN?tls-certificates=DIR</c>, DIR holding <c>ca-cert.pem</c> and, for a
/// client certificate, <c>client-cert.pem</c> and <c>client-key.pem</c> (see
/// <see cref="WriteCertificateDirectory"/>). libnbd checks the chain and the host name; it cannot pin a
/// fingerprint, so a fingerprint-only configuration is refused here with the reason.</item>
/// </list>
/// <c>nbds</c> makes TLS mandatory for libnbd: it never falls back to plain text.
/// </summary>
public static class NbdToolUri
{
    /// <param name="certificateDirectory">for X.509: a directory prepared by <see cref="WriteCertificateDirectory"/></param>
    public static string For(NbdAddress address, string exportName, NbdClientTls? tls, string? certificateDirectory = null)
    {
        if (tls is null) return address.Uri(exportName);
        string path = "/" + Uri.EscapeDataString(exportName);
        if (tls.IsPsk)
        {
            if (tls.PskFile is null)
                Throw.Invalid("nbd.tls_tool_unsupported", $"{tls} has no key file; libnbd tools read the PSK from a psktool-format file (nbdTls.pskFile)");
            return $"nbds://{Uri.EscapeDataString(tls.PskUsername!)}@{address}{path}?tls-psk-file={Uri.EscapeDataString(tls.PskFile!)}";
        }
        if (certificateDirectory is null)
            throw new ArgumentNullException(nameof(certificateDirectory), "X.509 credentials reach libnbd through a certificate directory");
        string uri = $"nbds://{address}{path}?tls-certificates={Uri.EscapeDataString(certificateDirectory)}";
        // tls-hostname is known from libnbd 1.18; older versions ignore the parameter.
        return tls.ServerName is null ? uri : uri + $"&tls-hostname={Uri.EscapeDataString(tls.ServerName)}";
    }

    /// <summary>
    /// Lays out <paramref name="directory"/> the way libnbd's <c>tls-certificates</c> wants it (the GnuTLS
    /// file names): ca-cert.pem from caFile, client-cert.pem and client-key.pem from the client
    /// certificate. Owner-only (0700/0600): it holds a private key. Written fresh for each use, so it
    /// need not survive a crash.
    /// </summary>
    public static void WriteCertificateDirectory(NbdClientTls tls, string directory)
    {
        ArgumentNullException.ThrowIfNull(tls);
        if (tls.IsPsk) throw new ArgumentException("PSK credentials need no certificate directory", nameof(tls));
        if (tls.CaFile is null)
            Throw.Invalid("nbd.tls_tool_unsupported",
                "libnbd tools (nbdfuse, nbdinfo, nbdcopy) cannot pin a certificate fingerprint; give nbdTls.caFile (for a self-signed array certificate, the certificate itself) to use them");
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Copy(tls.CaFile!, Path.Combine(directory, "ca-cert.pem"));
        string cert = Path.Combine(directory, "client-cert.pem"), key = Path.Combine(directory, "client-key.pem");
        if (tls.CertificateFile is not null && tls.KeyFile is not null)
        {
            Copy(tls.CertificateFile, cert);
            Copy(tls.KeyFile, key);
        }
        else
        {
            File.Delete(cert);
            File.Delete(key);
        }
    }

    private static void Copy(string from, string to)
    {
        File.Copy(from, to, overwrite: true);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(to, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
