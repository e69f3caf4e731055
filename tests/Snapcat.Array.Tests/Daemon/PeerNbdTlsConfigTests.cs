using Snapcat.Array.Config;
using Snapcat.Core.Errors;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Daemon;

/// <summary>peers.X.nbdTls: the credentials an array uses towards a peer's data ports for volume copy.</summary>
public class PeerNbdTlsConfigTests
{
    private static string Config(string nbdTls) => $$"""
        { "deviceId": "ARRAY-01", "dataDirectory": "d",
          "control": { "insecure": true, "listen": "127.0.0.1:8470", "token": "t" },
          "dataPorts": [ { "listen": "127.0.0.1:10809" } ],
          "peers": { "ARRAY-02": { "url": "http://127.0.0.1:8471", "token": "p", "nbdTls": {{nbdTls}} } } }
        """;

    [Fact]
    public void A_peers_psk_is_read_relative_to_the_config()
    {
        using var dir = new TempDir("cfg");
        Directory.CreateDirectory(dir.Combine("etc"));
        NbdTlsMaterial.WritePskFile(dir.Combine("etc", "peer.psk"), "ARRAY-01");
        File.WriteAllText(dir.Combine("etc", "array.json"), Config("""{ "pskFile": "peer.psk", "username": "ARRAY-01" }"""));
        var c = ArrayConfigLoader.Load(dir.Combine("etc", "array.json"));
        var tls = c.Peers["ARRAY-02"].NbdTlsCredentials;
        Assert.NotNull(tls);
        Assert.Equal("ARRAY-01", tls.Identity);
        Assert.Equal(dir.Combine("etc", "peer.psk"), tls.PskFile);
        Assert.Equal(tls, new Snapcat.Array.VolumeCopy.PeerArrays(c.Peers).NbdTlsFor("ARRAY-02"));
    }

    [Fact]
    public void A_bad_peer_nbdTls_is_refused_naming_the_peer()
    {
        using var dir = new TempDir("cfg");
        File.WriteAllText(dir.Combine("array.json"), Config("""{ "caFile": "nope.pem", "fingerprint": "xyz" }"""));
        var ex = Assert.Throws<SnapcatException>(() => ArrayConfigLoader.Load(dir.Combine("array.json")));
        Assert.Contains("peers.ARRAY-02.nbdTls.fingerprint 'xyz'", ex.Message);
        Assert.Contains($"peers.ARRAY-02.nbdTls.caFile {dir.Combine("nope.pem")}", ex.Message);
    }
}
