using Snapcat.Contracts.Array;
using Snapcat.Core.Errors;
using Snapcat.Array.Config;
using Snapcat.Array.Tests.Cli;
using Snapcat.Core.Config;
using Snapcat.Core.Tls;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.ControlTls;

/// <summary>
/// The refusals of the control API's TLS, against real daemons over loopback: each is a clear error with a code, and
/// the daemon holds the same volumes afterwards (the refused client's create never reached it).
/// </summary>
public sealed class ControlTlsRefusalTests
{
    private const string Wrong = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";

    [Fact]
    public async Task A_control_section_without_tls_or_insecure_is_refused_at_load_and_the_daemon_does_not_start()
    {
        using var dir = new TempDir("no-tls");
        string path = dir.Combine("array.json");
        ConfigFile.Write(path, new ArrayConfig
        {
            DeviceId = "ARRAY-NT",
            DataDirectory = "data",
            Control = new ControlEndpointConfig { Listen = "127.0.0.1:0", Token = "t" },
            DataPorts = [new DataPortConfig { Listen = "127.0.0.1:0" }],
        });
        var ex = Assert.Throws<SnapcatException>(() => ArrayConfigLoader.Load(path));
        Assert.Equal("config.invalid", ex.Code);
        Assert.Contains("control has no tls", ex.Message);
        Assert.Contains("snapcat init array --dir", ex.Message);
        Assert.Contains("\"insecure\": true", ex.Message);

        var run = await SnapcatBinary.RunAsync(["array", "serve", "--config", path], TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("snapcat init array", run.Stdout + run.Stderr);
        Assert.False(Directory.Exists(dir.Combine("data")), "a refused configuration must not create the data directory");

        // Both at once is refused too, and a certificate file that is not there is named.
        ConfigFile.Write(path, new ArrayConfig
        {
            DeviceId = "ARRAY-NT",
            DataDirectory = "data",
            Control = new ControlEndpointConfig
            {
                Listen = "127.0.0.1:0", Token = "t", Tls = new ControlTlsConfig { CertificateFile = "none.crt", KeyFile = "none.key" },
            },
            DataPorts = [new DataPortConfig { Listen = "127.0.0.1:0" }],
        });
        ex = Assert.Throws<SnapcatException>(() => ArrayConfigLoader.Load(path));
        Assert.Contains(dir.Combine("none.crt") + " does not exist", ex.Message);
        File.WriteAllText(dir.Combine("none.crt"), "not a certificate\n");
        File.WriteAllText(dir.Combine("none.key"), "not a key\n");
        ex = Assert.Throws<SnapcatException>(() => ArrayConfigLoader.Load(path));
        Assert.Contains("certificate " + dir.Combine("none.crt"), ex.Message);
        Assert.Contains("cannot be loaded", ex.Message);
    }

    [Fact]
    public async Task A_wrong_pinned_fingerprint_names_both_and_nothing_reaches_the_array()
    {
        await using var sys = new SnapcatSystem("tls-pin");
        var array = await sys.StartArrayAsync("ARRAY-PIN");
        int before = (await array.Client.ListVolumesAsync()).Count;

        using var wrong = new ArrayClient(array.ControlUrl, array.Token, TimeSpan.FromSeconds(30), PeerTrust.Pin(Wrong));
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => wrong.CreateVolumeAsync("1M"));
        Assert.Equal("array.tls_fingerprint_mismatch", ex.Code);
        Assert.Contains($"expected {Wrong}, the peer presented {array.Fingerprint}", ex.Message);

        // The CLI says the same, with the code, and exit code 1; lower case and no colons pin the same fingerprint.
        var cli = await CliRun.RunAsync("array", "volume", "create", "--size", "1M", "--url", array.ControlUrl.ToString(), "--token", array.Token,
            "--fingerprint", Wrong.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant());
        Assert.Equal(1, cli.ExitCode);
        Assert.Contains("(array.tls_fingerprint_mismatch)", cli.Stderr);
        Assert.Contains(array.Fingerprint!, cli.Stderr);

        var right = await CliRun.RunAsync("array", "info", "--url", array.ControlUrl.ToString(), "--token", array.Token,
            "--fingerprint", array.Fingerprint!.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant());
        Assert.True(right.ExitCode == 0, right.Stderr);
        Assert.Equal(before, (await array.Client.ListVolumesAsync()).Count);
    }

    [Fact]
    public async Task An_expired_certificate_is_refused_saying_when_it_expired()
    {
        await using var sys = new SnapcatSystem("tls-expired");
        var expired = ControlCertificate.Create("localhost", notBefore: DateTimeOffset.UtcNow.AddDays(-400), validity: TimeSpan.FromDays(365));
        var array = await sys.StartArrayAsync("ARRAY-EXP", configure: a => a.UseCertificate(expired));

        var ex = await Assert.ThrowsAsync<SnapcatException>(() => array.Client.CreateVolumeAsync("1M"));
        Assert.Equal("array.tls_expired", ex.Code);
        Assert.Contains("expired on " + expired.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), ex.Message);
        Assert.Contains(array.Fingerprint!, ex.Message);
        // Nothing reached the array: a client that accepts any certificate finds no volume.
        using var anyCert = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } })
        {
            BaseAddress = array.ControlUrl,
        };
        anyCert.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", array.Token);
        Assert.Equal("[]", (await anyCert.GetStringAsync("/v1/volumes")).Trim());
    }

    [Fact]
    public async Task A_ca_file_is_trusted_when_it_signed_the_peer_and_refused_when_it_did_not()
    {
        await using var sys = new SnapcatSystem("tls-ca");
        using var ca = ControlCertificate.Create("Snapcat test CA", isCa: true);
        using var otherCa = ControlCertificate.Create("Another CA", isCa: true);
        var issued = ControlCertificate.Create("localhost", issuer: ca);
        var array = await sys.StartArrayAsync("ARRAY-CA", configure: a => a.UseCertificate(issued));
        string caFile = sys.Dir.Combine("ca.pem"), otherFile = sys.Dir.Combine("other-ca.pem");
        File.WriteAllText(caFile, ca.ExportCertificatePem());
        File.WriteAllText(otherFile, otherCa.ExportCertificatePem());
        var url = new Uri($"https://localhost:{array.ControlUrl.Port}");

        var problems = new List<string>();
        var good = PeerTrustSource.Read(caFile, null, url, "test", sys.Dir.Path, problems);
        using (var client = new ArrayClient(url, array.Token, TimeSpan.FromSeconds(30), good))
            Assert.Equal("ARRAY-CA", (await client.GetArrayAsync()).DeviceId);

        var bad = PeerTrustSource.Read(otherFile, null, url, "test", sys.Dir.Path, problems);
        Assert.Empty(problems);
        using (var client = new ArrayClient(url, array.Token, TimeSpan.FromSeconds(30), bad))
        {
            var ex = await Assert.ThrowsAsync<SnapcatException>(() => client.CreateVolumeAsync("1M"));
            Assert.Equal("array.tls_untrusted", ex.Code);
            Assert.Contains($"the CA file {otherFile} did not sign", ex.Message);
            Assert.Contains("issuer CN=Snapcat test CA", ex.Message);
        }

        Assert.Empty(await array.Client.ListVolumesAsync());
    }

    [Fact]
    public async Task A_plain_http_client_to_an_https_daemon_is_told_to_use_https_and_the_system_trust_refuses_a_self_signed_one()
    {
        await using var sys = new SnapcatSystem("tls-http");
        var array = await sys.StartArrayAsync("ARRAY-HTTP");
        var http = new Uri($"http://127.0.0.1:{array.ControlUrl.Port}");
        using (var client = new ArrayClient(http, array.Token, TimeSpan.FromSeconds(30)))
        {
            var ex = await Assert.ThrowsAsync<SnapcatException>(() => client.CreateVolumeAsync("1M"));
            Assert.Equal("array.unreachable", ex.Code);
            Assert.Contains("closed the connection without an HTTP answer", ex.Message);
            Assert.Contains($"use https://127.0.0.1:{array.ControlUrl.Port}/", ex.Message);
        }
        using (var client = new ArrayClient(array.ControlUrl, array.Token, TimeSpan.FromSeconds(30)))
        {
            var ex = await Assert.ThrowsAsync<SnapcatException>(() => client.CreateVolumeAsync("1M"));
            Assert.Equal("array.tls_untrusted", ex.Code);
            Assert.Contains($"\"fingerprint\": \"{array.Fingerprint}\"", ex.Message);
        }
        Assert.Empty(await array.Client.ListVolumesAsync());

        // And the other way round: an https client to an insecure (plain HTTP) daemon.
        var plain = await sys.StartArrayAsync("ARRAY-PLAIN", configure: a => a.Insecure = true);
        Assert.Equal("http", plain.ControlUrl.Scheme);
        using (var client = new ArrayClient(new Uri($"https://127.0.0.1:{plain.ControlUrl.Port}"), plain.Token, TimeSpan.FromSeconds(30)))
        {
            var ex = await Assert.ThrowsAsync<SnapcatException>(() => client.GetArrayAsync());
            Assert.Equal("array.unreachable", ex.Code);
            Assert.Contains("no TLS connection", ex.Message);
            Assert.Contains($"use http://127.0.0.1:{plain.ControlUrl.Port}/", ex.Message);
        }
    }

    [Fact]
    public async Task A_daemon_that_pins_a_wrong_fingerprint_for_its_peer_reports_it_and_does_not_call_it()
    {
        await using var sys = new SnapcatSystem("tls-peer-pin");
        var array = sys.AddArray("ARRAY-P1");
        sys.AddServer(s => s.Edit = c => c with
        {
            Arrays = c.Arrays!.ToDictionary(e => e.Key, e => e.Value with { Fingerprint = Wrong }),
        });
        await sys.StartAsync();
        var info = await sys.Server.Client.GetServerAsync();
        var status = Assert.Single(info.Reachability!, p => p.Kind == "array");
        Assert.False(status.Reachable);
        Assert.Contains("array.tls_fingerprint_mismatch", status.Error);
        Assert.Contains($"expected {Wrong}, the peer presented {array.Fingerprint}", status.Error);
    }
}
