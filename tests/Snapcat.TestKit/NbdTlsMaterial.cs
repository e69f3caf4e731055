using System.Security.Cryptography.X509Certificates;
using Snapcat.Nbd.Tls;

namespace Snapcat.TestKit;

/// <summary>
/// TLS material for NBD tests, made fresh at test run time in a folder of the test (never committed):
/// a CA, a server certificate for 127.0.0.1/localhost and a client certificate (CN=host1) both signed
/// by it, laid out as nbdkit's <c>--tls-certificates</c> wants (server/ca-cert.pem, server-cert.pem,
/// server-key.pem), plus PEM files for Snapcat's client and a psktool-format key file.
/// </summary>
public sealed class NbdTlsMaterial
{
    private NbdTlsMaterial(string root) => Root = root;

    public string Root { get; }

    /// <summary>nbdkit's certificate directory.</summary>
    public string ServerDirectory => Path.Combine(Root, "server");

    public string CaFile => Path.Combine(Root, "ca.pem");
    public string ClientCertificateFile => Path.Combine(Root, "client.pem");
    public string ClientKeyFile => Path.Combine(Root, "client.key");

    public X509Certificate2 Ca { get; private set; } = null!;
    public X509Certificate2 ServerCertificate { get; private set; } = null!;
    public X509Certificate2 ClientCertificate { get; private set; } = null!;

    public static NbdTlsMaterial Create(string root, string clientName = "host1")
    {
        var m = new NbdTlsMaterial(root);
        Directory.CreateDirectory(m.ServerDirectory);
        var now = DateTimeOffset.UtcNow;

        m.Ca = TestCertificates.CreateCa("CN=Snapcat test CA", now.AddMinutes(-5), now.AddDays(2), out var caKeyOwned);
        using var caKey = caKeyOwned;

        m.ServerCertificate = TestCertificates.Issue(m.Ca, caKey, "CN=127.0.0.1", server: true, now.AddMinutes(-5), now.AddDays(1), out string serverKeyPem);
        m.ClientCertificate = TestCertificates.Issue(m.Ca, caKey, $"CN={clientName}", server: false, now.AddMinutes(-5), now.AddDays(1), out string clientKeyPem);

        WritePrivate(m.CaFile, m.Ca.ExportCertificatePem());
        WritePrivate(Path.Combine(m.ServerDirectory, "ca-cert.pem"), m.Ca.ExportCertificatePem());
        WritePrivate(Path.Combine(m.ServerDirectory, "server-cert.pem"), m.ServerCertificate.ExportCertificatePem());
        WritePrivate(Path.Combine(m.ServerDirectory, "server-key.pem"), serverKeyPem);
        WritePrivate(m.ClientCertificateFile, m.ClientCertificate.ExportCertificatePem());
        WritePrivate(m.ClientKeyFile, clientKeyPem);
        return m;
    }

    /// <summary>Writes a psktool-format file with a fresh 32-byte key for each username; returns its path.</summary>
    public static string WritePskFile(string path, params string[] usernames)
    {
        WritePrivate(path, string.Join('\n', usernames.Select(PskKeyFile.NewLine)) + "\n");
        return path;
    }

    private static void WritePrivate(string path, string text)
    {
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
