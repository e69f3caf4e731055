using Snapcat.Agent.Config;
using Snapcat.Agent.Hosting;
using Snapcat.TestKit;

namespace Snapcat.Agent.Tests;

/// <summary>arrays.X.nbdTls: read at load with the config's folder as the base, each mistake named, and used per array.</summary>
public class AgentNbdTlsConfigTests
{
    private static string Config(string nbdTls) => $$"""
    {
      "hostName": "db-01",
      "control": { "insecure": true, "listen": "127.0.0.1:8480", "token": "t" },
      "stateDirectory": "state",
      "portCorrespondence": [ { "mountPoint": "/srv/data", "deviceFile": "/dev/nbd0", "dataPort": "127.0.0.1:10809", "lun": 0 } ],
      "restorePorts": [ { "dataPort": "127.0.0.1:10810", "lun": 7, "mountDirectory": "restore/7", "deviceId": "ARRAY-01" } ],
      "arrays": {
        "ARRAY-01": { "url": "http://127.0.0.1:8470", "token": "a", "nbdTls": {{nbdTls}} },
        "ARRAY-02": { "url": "http://127.0.0.1:8471", "token": "b" }
      }
    }
    """;

    [Fact]
    public void Psk_credentials_load_relative_to_the_config_and_limit_restore_ports_to_this_agent()
    {
        using var dir = new TempDir("cfg");
        Directory.CreateDirectory(dir.Combine("keys"));
        NbdTlsMaterial.WritePskFile(dir.Combine("keys", "nbd.psk"), "db-01");
        File.WriteAllText(dir.Combine("agent.json"), Config("""{ "pskFile": "keys/nbd.psk", "username": "db-01" }"""));
        var c = AgentConfigLoader.Load(dir.Combine("agent.json"));

        var tls = c.Arrays["ARRAY-01"].NbdTlsCredentials;
        Assert.NotNull(tls);
        Assert.Equal(dir.Combine("keys", "nbd.psk"), tls.PskFile);
        Assert.Null(c.Arrays["ARRAY-02"].NbdTlsCredentials);

        using var runtime = new AgentRuntime(c);
        Assert.Equal(["db-01"], runtime.RestoreIdentitiesFor("ARRAY-01"));
        Assert.Null(runtime.RestoreIdentitiesFor("ARRAY-02"));
        Assert.Same(tls, runtime.NbdOptionsFor("ARRAY-01").Tls);
        Assert.Null(runtime.NbdOptionsFor("ARRAY-02").Tls);
    }

    [Fact]
    public async Task A_restore_port_that_names_its_array_gets_that_arrays_credentials_without_asking_anyone()
    {
        using var dir = new TempDir("cfg");
        NbdTlsMaterial.WritePskFile(dir.Combine("nbd.psk"), "db-01");
        File.WriteAllText(dir.Combine("agent.json"), Config("""{ "pskFile": "nbd.psk", "username": "db-01" }"""));
        using var runtime = new AgentRuntime(AgentConfigLoader.Load(dir.Combine("agent.json")));
        // The control URLs point nowhere: a lookup would fail, so the answer comes from the table.
        var options = await runtime.NbdOptionsForPortAsync(Snapcat.Nbd.NbdAddress.Parse("127.0.0.1:10810"), default);
        Assert.Equal("db-01", options.Tls?.Identity);
    }

    [Fact]
    public void Mistakes_in_nbdTls_are_named_with_their_array()
    {
        using var dir = new TempDir("cfg");
        File.WriteAllText(dir.Combine("agent.json"), Config("""{ "pskFile": "missing.psk" }"""));
        var ex = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.Load(dir.Combine("agent.json")));
        Assert.Contains("arrays.ARRAY-01.nbdTls.username is missing", ex.Message);

        File.WriteAllText(dir.Combine("agent.json"), Config("""{ "pskFile": "missing.psk", "username": "db-01" }"""));
        ex = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.Load(dir.Combine("agent.json")));
        Assert.Contains("arrays.ARRAY-01.nbdTls.pskFile", ex.Message);
        Assert.Contains(dir.Combine("missing.psk"), ex.Message);
    }
}
