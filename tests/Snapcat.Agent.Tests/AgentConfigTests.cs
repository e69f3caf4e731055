using Snapcat.Agent.Config;
using Snapcat.Core.Errors;
using Snapcat.TestKit;

namespace Snapcat.Agent.Tests;

public class AgentConfigTests
{
    private const string Good = """
    {
      // comments are allowed
      "hostName": "db-01",
      "control": { "insecure": true, "listen": "127.0.0.1:8480", "tokenFile": "agent.token" },
      "stateDirectory": "state",
      "portCorrespondence": [
        { "mountPoint": "/srv/data", "deviceFile": "/dev/nbd0", "dataPort": "127.0.0.1:10809", "lun": 0 }
      ],
      "restorePorts": [
        { "dataPort": "127.0.0.1:10810", "lun": 7, "mountDirectory": "restore/7" }
      ],
      "arrays": { "ARRAY-01": { "url": "http://127.0.0.1:8470", "token": "a" } },
      "hooks": {
        "freeze-db": { "command": "/usr/local/bin/freeze", "args": ["--db", "main"], "timeoutSeconds": 60, "environment": { "PGHOST": "/run/pg" } }
      },
    }
    """;

    [Fact]
    public void A_good_file_loads_with_paths_resolved_and_the_token_read()
    {
        using var dir = new TempDir("cfg");
        File.WriteAllText(dir.Combine("agent.token"), "s3cret\n");
        File.WriteAllText(dir.Combine("agent.json"), Good);
        var c = AgentConfigLoader.Load(dir.Combine("agent.json"));
        Assert.Equal("db-01", c.HostName);
        Assert.Equal("s3cret", c.Control.Token);
        Assert.Equal(dir.Combine("state"), c.StateDirectory);
        Assert.Equal(dir.Combine("restore", "7"), c.RestorePorts[0].MountDirectory);
        Assert.Equal("nbd://127.0.0.1:10809/0", c.PortCorrespondence[0].NbdUri);
        Assert.Equal(["--db", "main"], c.Hooks["freeze-db"].Args);
        Assert.Equal(TimeSpan.FromSeconds(60), c.Hooks["freeze-db"].Timeout);
        Assert.False(c.AllowRawCommands);
    }

    [Fact]
    public void A_serialised_config_record_loads_back_and_a_data_port_of_port_0_is_refused()
    {
        using var dir = new TempDir("cfg");
        var config = new AgentConfig
        {
            HostName = "db-01",
            Control = new AgentControlConfig { Insecure = true, Listen = "127.0.0.1:0", Token = "t" },  // the agent's own API may take any free port
            StateDirectory = "state",
            PortCorrespondence = [new PortCorrespondenceEntry { MountPoint = "/srv/data", DeviceFile = "/dev/nbd0", DataPort = "127.0.0.1:10809", Lun = 0 }],
            Hooks = new Dictionary<string, HookConfig> { ["freeze"] = new() { Command = "/bin/true", TimeoutSeconds = 60 } },
        };
        Snapcat.Core.Config.ConfigFile.Write(dir.Combine("agent.json"), config);
        var back = AgentConfigLoader.Load(dir.Combine("agent.json"));
        Assert.Equal("nbd://127.0.0.1:10809/0", back.PortCorrespondence[0].NbdUri);
        Assert.Equal(TimeSpan.FromSeconds(60), back.Hooks["freeze"].Timeout);
        Assert.DoesNotContain("pendingThawDirectory", File.ReadAllText(dir.Combine("agent.json")));  // derived members are not written

        // An array's data port is only real once the array has started: port 0 names no port.
        Snapcat.Core.Config.ConfigFile.Write(dir.Combine("agent.json"), config with
        {
            PortCorrespondence = [config.PortCorrespondence[0] with { DataPort = "127.0.0.1:0" }],
        });
        var ex = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.Load(dir.Combine("agent.json")));
        Assert.Contains("portCorrespondence[0].dataPort '127.0.0.1:0' names port 0", ex.Message);
    }

    [Fact]
    public void Every_problem_is_listed_at_once()
    {
        const string bad = """
        {
          "control": { "insecure": true, "listen": "nowhere" },
          "portCorrespondence": [
            { "mountPoint": "srv", "deviceFile": "/dev/nbd0", "dataPort": "127.0.0.1:10809" },
            { "mountPoint": "/a", "deviceFile": "/dev/nbd1", "dataPort": "127.0.0.1:10809", "lun": 1 },
            { "mountPoint": "/a/", "deviceFile": "/dev/nbd2", "dataPort": "127.0.0.1:10809", "lun": 2 }
          ],
          "restorePorts": [ { "dataPort": "127.0.0.1:10809", "lun": 1, "mountDirectory": "/mnt/r" } ],
          "arrays": { "A": { "url": "ftp://x" } },
          "hooks": { "bad name!": { "command": "freeze", "timeoutSeconds": 0, "environment": { "1X": "y" } } }
        }
        """;
        var ex = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.Parse(bad, "/tmp"));
        Assert.Equal(ErrorKind.Invalid, ex.Kind);
        Assert.Equal("config.invalid", ex.Code);
        string[] expected =
        [
            "hostName is missing",
            "control.listen 'nowhere' is not host:port",
            "control has neither token nor tokenFile",
            "stateDirectory is missing",
            "portCorrespondence[0].mountPoint 'srv' is not an absolute path",
            "portCorrespondence[0].lun is missing",
            "portCorrespondence[2].mountPoint '/a/' appears twice",
            "restorePorts[0]: port 127.0.0.1:10809 LUN 1 is also a protected volume's",
            "arrays.A.url 'ftp://x' is not an http:// or https:// URL",
            "arrays.A has neither token nor tokenFile",
            "hooks.bad name!: a hook name is",
            "hooks.bad name!.command 'freeze' is not an absolute path",
            "hooks.bad name!.timeoutSeconds 0 is outside",
            "hooks.bad name!.environment: '1X' is not a valid variable name",
        ];
        foreach (string e in expected) Assert.Contains(ex.Problems, p => p.StartsWith(e, StringComparison.Ordinal));
        Assert.Equal(expected.Length, ex.Problems.Count);
    }

    [Fact]
    public void Broken_json_names_the_place()
    {
        var ex = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.Parse("{ \"hostName\": 5 }", "/tmp"));
        Assert.Contains("$.hostName", ex.Message);
    }

    [Fact]
    public void Missing_token_file_is_reported()
    {
        using var dir = new TempDir("cfg");
        File.WriteAllText(dir.Combine("agent.json"), Good);
        var ex = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.Load(dir.Combine("agent.json")));
        Assert.Contains(ex.Problems, p => p.StartsWith("control.tokenFile " + dir.Combine("agent.token") + " cannot be read"));
    }
}
