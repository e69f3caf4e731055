using Snapcat.Array.Config;
using Snapcat.Core.Errors;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Daemon;

public sealed class ConfigErrorTests
{
    [Fact]
    public async Task Daemon_with_bad_config_exits_nonzero_and_lists_every_problem()
    {
        using var dir = new TempDir("cfg");
        string path = dir.Combine("array.json");
        int p = FreePort.Next();
        await File.WriteAllTextAsync(path, $$"""
            {
              "deviceId": "bad id with spaces",
              "dataDirectory": "data",
              "control": { "insecure": true, "listen": "127.0.0.1:{{p}}" },
              "dataPorts": [ { "listen": "127.0.0.1:{{p + 1}}" }, { "listen": "127.0.0.1:{{p + 1}}" }, { "listen": "nope" } ]
            }
            """);
        var r = await SnapcatBinary.RunAsync(["array", "serve", "--config", path], TimeSpan.FromSeconds(60));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("deviceId 'bad id with spaces' is not valid", r.Stderr);
        Assert.Contains("a bearer token is required", r.Stderr);
        Assert.Contains("is listed twice", r.Stderr);
        Assert.Contains("dataPorts[2].listen 'nope' is not host:port", r.Stderr);
        Assert.Contains("4 problem(s)", r.Stderr);
        Assert.False(Directory.Exists(dir.Combine("data")), "a refused configuration must not create the data directory");
    }

    [Fact]
    public void Port_0_may_repeat_for_the_control_api_and_data_ports_but_a_real_port_may_not()
    {
        using var dir = new TempDir("cfg");
        var zero = new ArrayConfig
        {
            DeviceId = "A1",
            DataDirectory = "data",
            Control = new ControlEndpointConfig { Insecure = true, Listen = "127.0.0.1:0", Token = "t" },
            DataPorts = [new DataPortConfig { Listen = "127.0.0.1:0" }, new DataPortConfig { Listen = "127.0.0.1:0" }],
        };
        var loaded = ArrayConfigLoader.Validate(zero, dir.Combine("array.json"));
        Assert.Equal(2, loaded.DataPorts.Count);

        var twice = zero with { DataPorts = [new DataPortConfig { Listen = "127.0.0.1:10809" }, new DataPortConfig { Listen = "127.0.0.1:10809" }] };
        var ex = Assert.Throws<SnapcatException>(() => ArrayConfigLoader.Validate(twice, dir.Combine("array.json")));
        Assert.Contains("is listed twice", ex.Message);
    }

    [Fact]
    public async Task Daemon_with_missing_config_file_or_broken_json_exits_nonzero()
    {
        using var dir = new TempDir("cfg");
        var missing = await SnapcatBinary.RunAsync(["array", "serve", "--config", dir.Combine("nope.json")], TimeSpan.FromSeconds(60));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("does not exist", missing.Stderr);

        string path = dir.Combine("array.json");
        await File.WriteAllTextAsync(path, "{ \"deviceId\": \"A\" ");
        var broken = await SnapcatBinary.RunAsync(["array", "serve", "--config", path], TimeSpan.FromSeconds(60));
        Assert.Equal(2, broken.ExitCode);
        Assert.Contains("is not valid", broken.Stderr);
    }

    [Fact]
    public void Missing_required_members_are_named()
    {
        using var dir = new TempDir("cfg");
        string path = dir.Combine("array.json");
        File.WriteAllText(path, """{ "deviceId": "A1" }""");
        var ex = Assert.Throws<SnapcatException>(() => ArrayConfigLoader.Load(path));
        Assert.Equal(ErrorKind.Invalid, ex.Kind);
        Assert.Contains("dataDirectory", ex.Message);
    }

    [Fact]
    public void Relative_paths_resolve_against_the_config_folder_and_token_file_is_read()
    {
        using var dir = new TempDir("cfg");
        Directory.CreateDirectory(dir.Combine("etc"));
        File.WriteAllText(dir.Combine("etc", "token"), "  s3cret\n");
        string path = dir.Combine("etc", "array.json");
        File.WriteAllText(path, """
            { "deviceId": "ARRAY-01", "dataDirectory": "../var/array",
              "control": { "insecure": true, "listen": "127.0.0.1:8470", "tokenFile": "token" },
              "dataPorts": [ { "listen": "127.0.0.1:10809" }, { "listen": "[::1]:10810" } ] }
            """);
        var c = ArrayConfigLoader.Load(path);
        Assert.Equal(dir.Combine("var", "array"), c.DataDirectory);
        Assert.Equal("s3cret", c.Token);
        Assert.Equal(["127.0.0.1:10809", "[::1]:10810"], c.DataPorts.Select(p => p.ToString()).ToArray());
        Assert.Equal(8470, c.ControlListen.Port);
    }

    [Fact]
    public void Token_and_token_file_together_or_missing_file_are_refused()
    {
        using var dir = new TempDir("cfg");
        string path = dir.Combine("array.json");
        File.WriteAllText(path, """
            { "deviceId": "ARRAY-01", "dataDirectory": "d",
              "control": { "insecure": true, "listen": "127.0.0.1:8470", "token": "x", "tokenFile": "t" },
              "dataPorts": [ { "listen": "127.0.0.1:8470" } ] }
            """);
        var ex = Assert.Throws<SnapcatException>(() => ArrayConfigLoader.Load(path));
        Assert.Contains("either token or tokenFile", ex.Message);
        Assert.Contains("also the control address", ex.Message);

        File.WriteAllText(path, """
            { "deviceId": "ARRAY-01", "dataDirectory": "d", "control": { "insecure": true, "listen": "127.0.0.1:8470", "tokenFile": "none" },
              "dataPorts": [] }
            """);
        var ex2 = Assert.Throws<SnapcatException>(() => ArrayConfigLoader.Load(path));
        Assert.Contains("tokenFile", ex2.Message);
        Assert.Contains("does not exist", ex2.Message);
        Assert.Contains("dataPorts is empty", ex2.Message);
    }

    [Fact]
    public void Peer_tokens_come_from_token_files_and_data_port_limits_are_read_and_checked()
    {
        using var dir = new TempDir("cfg");
        File.WriteAllText(dir.Combine("peer.token"), "peer-s3cret\n");
        string path = dir.Combine("array.json");
        File.WriteAllText(path, """
            { "deviceId": "ARRAY-01", "dataDirectory": "d", "control": { "insecure": true, "listen": "127.0.0.1:8470", "token": "t" },
              "dataPorts": [ { "listen": "127.0.0.1:10809" },
                             { "listen": "127.0.0.1:10810", "handshakeTimeoutSeconds": 2.5, "maxConnectionsPerPeer": 4 } ],
              "peers": { "ARRAY-02": { "url": "http://127.0.0.1:8471", "tokenFile": "peer.token" },
                         "ARRAY-03": { "url": "http://127.0.0.1:8472", "token": "inline" } } }
            """);
        var c = ArrayConfigLoader.Load(path);
        Assert.Equal("peer-s3cret", c.Peers["ARRAY-02"].Token);
        Assert.Equal("inline", c.Peers["ARRAY-03"].Token);
        Assert.Equal(DataPortLimits.Default, c.DataPortLimits[0]);
        Assert.Equal(new DataPortLimits(TimeSpan.FromSeconds(2.5), 4), c.DataPortLimits[1]);

        File.WriteAllText(path, """
            { "deviceId": "ARRAY-01", "dataDirectory": "d", "control": { "insecure": true, "listen": "127.0.0.1:8470", "token": "t" },
              "dataPorts": [ { "listen": "127.0.0.1:10809", "handshakeTimeoutSeconds": 0, "maxConnectionsPerPeer": 0 } ],
              "peers": { "ARRAY-02": { "url": "http://127.0.0.1:8471", "tokenFile": "missing.token" },
                         "ARRAY-03": { "url": "http://127.0.0.1:8472", "token": "x", "tokenFile": "peer.token" },
                         "ARRAY-04": { "url": "http://127.0.0.1:8473" } } }
            """);
        var ex = Assert.Throws<SnapcatException>(() => ArrayConfigLoader.Load(path));
        Assert.Contains("peers.ARRAY-02.tokenFile", ex.Message);
        Assert.Contains("does not exist", ex.Message);
        Assert.Contains("peers.ARRAY-03: give either token or tokenFile", ex.Message);
        Assert.Contains("peers.ARRAY-04: a bearer token is required", ex.Message);
        Assert.Contains("handshakeTimeoutSeconds 0", ex.Message);
        Assert.Contains("maxConnectionsPerPeer 0", ex.Message);
        Assert.Contains("5 problem(s)", ex.Message);
    }
}
