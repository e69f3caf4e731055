using Snapcat.Nbd.Client;
using Snapcat.TestKit;

namespace Snapcat.Nbd.Tests.Client;

/// <summary>The "nbdTls" block: relative paths from the config's folder, and every mistake named with where it is.</summary>
public sealed class NbdClientTlsConfigTests
{
    private const string Where = "arrays.ARRAY-01.nbdTls";

    private static (NbdClientTls? Tls, List<string> Problems) Resolve(NbdClientTlsConfig c, string baseDir)
    {
        var problems = new List<string>();
        return (c.Resolve(Where, baseDir, problems), problems);
    }

    [Fact]
    public void Psk_block_reads_the_users_key_from_a_file_relative_to_the_config()
    {
        using var dir = new TempDir("nbdtlscfg");
        NbdTlsMaterial.WritePskFile(dir.Combine("nbd.psk"), "host1", "host2");
        var (tls, problems) = Resolve(new NbdClientTlsConfig { PskFile = "nbd.psk", Username = "host2" }, dir.Path);
        Assert.Empty(problems);
        Assert.NotNull(tls);
        Assert.True(tls.IsPsk);
        Assert.Equal("host2", tls.Identity);
        Assert.Equal(dir.Combine("nbd.psk"), tls.PskFile);
        Assert.Equal(32, tls.PskKey!.Length);
    }

    [Fact]
    public void X509_block_loads_ca_pin_and_client_certificate()
    {
        using var dir = new TempDir("nbdtlscfg");
        var m = NbdTlsMaterial.Create(dir.Path);
        string pin = NbdClientTls.Fingerprint(m.ServerCertificate);
        var (tls, problems) = Resolve(new NbdClientTlsConfig
        {
            CaFile = "ca.pem", Fingerprint = pin.ToLowerInvariant().Replace(":", ""), CertificateFile = "client.pem", KeyFile = "client.key",
        }, dir.Path);
        Assert.Empty(problems);
        Assert.NotNull(tls);
        Assert.False(tls.IsPsk);
        Assert.Single(tls.CaCertificates);
        Assert.Equal(pin, NbdClientTls.FormatFingerprint(tls.PinnedSha256!));
        Assert.Equal("CN=host1", tls.Identity);
        Assert.Equal(m.CaFile, tls.CaFile);
    }

    [Fact]
    public void Mode_off_means_plain_nbd()
    {
        var (tls, problems) = Resolve(new NbdClientTlsConfig { Mode = "off", PskFile = "whatever" }, "/nonexistent");
        Assert.Null(tls);
        Assert.Empty(problems);
    }

    [Fact]
    public void Every_mistake_is_reported_with_its_place()
    {
        using var dir = new TempDir("nbdtlscfg");
        NbdTlsMaterial.WritePskFile(dir.Combine("nbd.psk"), "host1");
        File.WriteAllText(dir.Combine("bad.psk"), "host1:abc\n");

        Assert.Contains("username is missing", Only(new NbdClientTlsConfig { PskFile = "nbd.psk" }, dir.Path));
        Assert.Contains("has no key for username 'host9'", Only(new NbdClientTlsConfig { PskFile = "nbd.psk", Username = "host9" }, dir.Path));
        Assert.Contains("line 1", Only(new NbdClientTlsConfig { PskFile = "bad.psk", Username = "host1" }, dir.Path));
        Assert.Contains(dir.Combine("gone.psk"), Only(new NbdClientTlsConfig { PskFile = "gone.psk", Username = "host1" }, dir.Path));
        Assert.Contains("not both", Only(new NbdClientTlsConfig { PskFile = "nbd.psk", Username = "host1", CaFile = "ca.pem" }, dir.Path));
        Assert.Contains("longer than 255 bytes", Only(new NbdClientTlsConfig { PskFile = "nbd.psk", Username = new string('u', 300) }, dir.Path));
        Assert.Contains("is empty", Only(new NbdClientTlsConfig(), dir.Path));
        Assert.Contains("mode 'maybe'", Only(new NbdClientTlsConfig { Mode = "maybe" }, dir.Path));
        Assert.Contains("not a SHA-256 fingerprint", Only(new NbdClientTlsConfig { Fingerprint = "12:34" }, dir.Path));
        Assert.Contains("say which server to trust", Only(new NbdClientTlsConfig { CertificateFile = "c.pem", KeyFile = "k.pem", ServerName = "array1" }, dir.Path, allowMore: true));
        Assert.Contains("go together", Only(new NbdClientTlsConfig { CaFile = "ca.pem", CertificateFile = "c.pem" }, dir.Path, allowMore: true));
        Assert.Contains(dir.Combine("nope.pem"), Only(new NbdClientTlsConfig { CaFile = "nope.pem" }, dir.Path));
    }

    private static string Only(NbdClientTlsConfig c, string baseDir, bool allowMore = false)
    {
        var (tls, problems) = Resolve(c, baseDir);
        Assert.Null(tls);
        if (!allowMore) Assert.Single(problems);
        Assert.All(problems, p => Assert.StartsWith(Where, p));
        return string.Join(" | ", problems);
    }
}
