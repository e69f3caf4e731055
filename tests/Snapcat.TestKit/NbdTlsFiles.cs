using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Snapcat.TestKit;

/// <summary>
/// TLS material for NBD tests, made at run time (never committed): a CA that signs the array's server
/// certificate (for 127.0.0.1) and client certificates, written as PEM files in the layouts the
/// array's config, libnbd (<c>tls-certificates=DIR</c>) and qemu (<c>tls-creds-x509,dir=DIR</c>) read.
/// </summary>
public sealed class NbdTlsFiles : IDisposable
{
    private readonly ECDsa _caKey;

    private NbdTlsFiles(string dir, string caName)
    {
        Dir = dir;
        Directory.CreateDirectory(dir);
        Ca = TestCertificates.CreateCa($"CN={caName}", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1), out _caKey);
        CaFile = Path.Combine(dir, "ca-cert.pem");
        File.WriteAllText(CaFile, Ca.ExportCertificatePem());
    }

    /// <summary>A new CA in <paramref name="dir"/> (its certificate as <see cref="CaFile"/>).</summary>
    public static NbdTlsFiles CreateCa(string dir, string caName = "snapcat test CA") => new(dir, caName);

    public string Dir { get; }
    public X509Certificate2 Ca { get; }
    public string CaFile { get; }

    /// <summary>Writes a server certificate for 127.0.0.1 and its key; returns (certificate file, key file).</summary>
    public (string Certificate, string Key) IssueServer(string name = "nbd-server")
    {
        string cert = Path.Combine(Dir, $"{name}.crt"), key = Path.Combine(Dir, $"{name}.key");
        Issue($"CN={name}", server: true, cert, key);
        return (cert, key);
    }

    /// <summary>
    /// A client directory as libnbd and qemu want it: ca-cert.pem (to check the server), and unless
    /// <paramref name="subject"/> is null, client-cert.pem and client-key.pem signed by this CA.
    /// </summary>
    public string ClientDir(string name, string? subject, NbdTlsFiles? serverCa = null)
    {
        string dir = Path.Combine(Dir, name);
        Directory.CreateDirectory(dir);
        File.Copy((serverCa ?? this).CaFile, Path.Combine(dir, "ca-cert.pem"), overwrite: true);
        if (subject is not null)
            Issue(subject, server: false, Path.Combine(dir, "client-cert.pem"), Path.Combine(dir, "client-key.pem"));
        return dir;
    }

    private void Issue(string subject, bool server, string certPath, string keyPath)
    {
        using var cert = TestCertificates.Issue(Ca, _caKey, subject, server, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), out string keyPem);
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, keyPem);
    }

    public void Dispose()
    {
        Ca.Dispose();
        _caKey.Dispose();
    }
}
