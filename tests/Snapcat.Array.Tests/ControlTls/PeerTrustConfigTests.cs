using Snapcat.Array.Config;
using Snapcat.Core.Config;
using Snapcat.Core.Errors;
using Snapcat.Core.Tls;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.ControlTls;

/// <summary>The certificate check of a remote endpoint as configurations give it: every bad entry is named in one error.</summary>
public sealed class PeerTrustConfigTests
{
    [Theory]
    [InlineData("ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89")]
    [InlineData("ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")]
    [InlineData(" AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89 ")]
    public void Fingerprints_parse_with_or_without_colons_in_any_case(string text)
    {
        var bytes = CertificateFingerprint.TryParse(text);
        Assert.NotNull(bytes);
        Assert.Equal("AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89", CertificateFingerprint.Format(bytes));
    }

    [Theory]
    [InlineData("AB:CD")]
    [InlineData("ZZCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")]
    [InlineData("ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF012345678900")]
    public void Malformed_fingerprints_do_not_parse(string text) => Assert.Null(CertificateFingerprint.TryParse(text));

    [Fact]
    public void Bad_peer_checks_are_all_named_in_one_error()
    {
        using var dir = new TempDir("peer-trust");
        File.WriteAllText(dir.Combine("empty.pem"), "no certificate here\n");
        string path = dir.Combine("array.json");
        ConfigFile.Write(path, new ArrayConfig
        {
            DeviceId = "ARRAY-T",
            DataDirectory = "data",
            Control = new ControlEndpointConfig { Listen = "127.0.0.1:0", Token = "t", Insecure = true },
            DataPorts = [new DataPortConfig { Listen = "127.0.0.1:0" }],
            Peers = new Dictionary<string, PeerArrayConfig>
            {
                ["ARRAY-A"] = new() { Url = "https://127.0.0.1:9", Token = "t", Fingerprint = "AB:CD" },
                ["ARRAY-B"] = new() { Url = "http://127.0.0.1:9", Token = "t", Fingerprint = new string('A', 64) },
                ["ARRAY-C"] = new() { Url = "https://127.0.0.1:9", Token = "t", CaFile = "missing.pem" },
                ["ARRAY-D"] = new() { Url = "https://127.0.0.1:9", Token = "t", CaFile = "empty.pem" },
                ["ARRAY-E"] = new() { Url = "https://127.0.0.1:9", Token = "t", Fingerprint = new string('a', 64) },
            },
        });
        var ex = Assert.Throws<SnapcatException>(() => ArrayConfigLoader.Load(path));
        Assert.Equal("config.invalid", ex.Code);
        Assert.Contains("4 problem(s)", ex.Message);
        Assert.Contains("peers.ARRAY-A.fingerprint 'AB:CD' is not a SHA-256 fingerprint", ex.Message);
        Assert.Contains("peers.ARRAY-B: fingerprint is set but url http://127.0.0.1:9/ is not https://", ex.Message);
        Assert.Contains($"peers.ARRAY-C.caFile: CA file {dir.Combine("missing.pem")} does not exist", ex.Message);
        Assert.Contains($"peers.ARRAY-D.caFile: CA file {dir.Combine("empty.pem")} holds no PEM certificate", ex.Message);
        Assert.DoesNotContain("ARRAY-E", ex.Message);
    }
}
