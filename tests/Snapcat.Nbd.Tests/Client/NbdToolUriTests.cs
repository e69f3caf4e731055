using Snapcat.Core.Errors;
using Snapcat.Nbd.Client;
using Snapcat.Nbd.Tls;
using Snapcat.TestKit;

namespace Snapcat.Nbd.Tests.Client;

/// <summary>
/// The URIs Snapcat hands to libnbd's tools carry the same credentials as its own client: proven
/// with the real nbdinfo against nbdkit --tls=require, PSK and X.509.
/// </summary>
public sealed class NbdToolUriTests
{
    [Fact]
    public void Plain_uri_is_unchanged_and_psk_uri_names_user_and_key_file()
    {
        var a = new NbdAddress("127.0.0.1", 10809);
        Assert.Equal("nbd://127.0.0.1:10809/7", NbdToolUri.For(a, "7", null));
        var psk = NbdClientTls.Psk("host 1", new byte[16]) with { PskFile = "/etc/snapcat/nbd.psk" };
        Assert.Equal("nbds://host%201@127.0.0.1:10809/7?tls-psk-file=%2Fetc%2Fsnapcat%2Fnbd.psk", NbdToolUri.For(a, "7", psk));
    }

    [Fact]
    public void A_fingerprint_alone_cannot_be_given_to_libnbd()
    {
        using var dir = new TempDir("nbduri");
        var pinned = NbdClientTls.X509(pinnedSha256: new byte[32]);
        var ex = Assert.Throws<SnapcatException>(() => NbdToolUri.WriteCertificateDirectory(pinned, dir.Combine("certs")));
        Assert.Contains("caFile", ex.Message);
    }

    [Fact]
    public async Task Nbdinfo_reads_a_tls_psk_export_through_the_uri()
    {
        if (!Tool.Exists("nbdinfo")) { Console.WriteLine("SKIPPED: nbdinfo (libnbd-bin) is not installed"); return; }
        using var dir = new TempDir("nbduri");
        string keys = NbdTlsMaterial.WritePskFile(dir.Combine("keys.psk"), "host1");
        await using var kit = await Nbdkit.StartAsync("--tls=require", $"--tls-psk={keys}", "memory", "16M");
        var tls = NbdClientTls.Psk("host1", PskKeyFile.ReadKey(keys, "host1")) with { PskFile = keys };

        var r = await Tool.RunAsync("nbdinfo", ["--size", NbdToolUri.For(kit.Address, "", tls)], TimeSpan.FromSeconds(30));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal((16L << 20).ToString(), r.Stdout.Trim());

        // The plain URI is refused by the same server: TLS is what made the difference.
        var plain = await Tool.RunAsync("nbdinfo", ["--size", NbdToolUri.For(kit.Address, "", null)], TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, plain.ExitCode);
    }

    [Fact]
    public async Task Nbdinfo_reads_an_x509_export_through_the_certificate_directory()
    {
        if (!Tool.Exists("nbdinfo")) { Console.WriteLine("SKIPPED: nbdinfo (libnbd-bin) is not installed"); return; }
        using var dir = new TempDir("nbduri");
        var m = NbdTlsMaterial.Create(dir.Path);
        await using var kit = await Nbdkit.StartAsync("--tls=require", $"--tls-certificates={m.ServerDirectory}", "--tls-verify-peer", "memory", "16M");
        var tls = NbdClientTls.X509([m.Ca], null, m.ClientCertificate) with { CaFile = m.CaFile, CertificateFile = m.ClientCertificateFile, KeyFile = m.ClientKeyFile };

        string certs = dir.Combine("libnbd");
        NbdToolUri.WriteCertificateDirectory(tls, certs);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(certs, "client-key.pem")));
        var r = await Tool.RunAsync("nbdinfo", ["--size", NbdToolUri.For(kit.Address, "", tls, certs)], TimeSpan.FromSeconds(30));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal((16L << 20).ToString(), r.Stdout.Trim());
    }
}
