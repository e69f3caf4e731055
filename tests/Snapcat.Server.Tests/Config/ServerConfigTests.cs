using Snapcat.Core.Errors;
using Snapcat.Server.Config;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Config;

public sealed class ServerConfigTests : IDisposable
{
    private readonly TempDir _dir = new("server-config");

    public void Dispose() => _dir.Dispose();

    private string Write(string json)
    {
        string p = _dir.Combine("server.json");
        File.WriteAllText(p, json);
        return p;
    }

    [Fact]
    public void A_good_file_resolves_paths_against_its_folder_and_reads_the_token_file()
    {
        File.WriteAllText(_dir.Combine("server.token"), "s3cret\n");
        var c = ServerConfigLoader.Load(Write("""
            {
              // comments are allowed
              "control": { "insecure": true, "listen": "127.0.0.1:8480", "tokenFile": "server.token" },
              "agents": { "db01": { "url": "http://127.0.0.1:8490", "token": "a" } },
              "arrays": { "ARRAY-01": { "url": "http://127.0.0.1:8470", "token": "b" } },
            }
            """));
        Assert.Equal("s3cret", c.Token);
        Assert.Equal(_dir.Combine("catalog.db"), c.CatalogLocation);
        Assert.Equal(8480, c.ControlListen.Port);
        Assert.Equal(new Uri("http://127.0.0.1:8490"), c.Agents["db01"].Url);
        Assert.Equal("b", c.Arrays["ARRAY-01"].Token);
    }

    [Fact]
    public void Agent_and_array_tokens_may_come_from_token_files()
    {
        File.WriteAllText(_dir.Combine("agent.token"), "agent-s3cret\n");
        File.WriteAllText(_dir.Combine("array.token"), " array-s3cret ");
        var c = ServerConfigLoader.Load(Write("""
            {
              "control": { "insecure": true, "listen": "127.0.0.1:8480", "token": "t" },
              "agents": { "db01": { "url": "http://127.0.0.1:8490", "tokenFile": "agent.token" } },
              "arrays": { "ARRAY-01": { "url": "http://127.0.0.1:8470", "tokenFile": "array.token" } }
            }
            """));
        Assert.Equal("agent-s3cret", c.Agents["db01"].Token);
        Assert.Equal("array-s3cret", c.Arrays["ARRAY-01"].Token);

        var ex = Assert.Throws<SnapcatException>(() => ServerConfigLoader.Load(Write("""
            {
              "control": { "insecure": true, "listen": "127.0.0.1:8480", "token": "t" },
              "agents": { "db01": { "url": "http://127.0.0.1:8490", "tokenFile": "nope.token" } },
              "arrays": { "ARRAY-01": { "url": "http://127.0.0.1:8470", "token": "b", "tokenFile": "array.token" } }
            }
            """)));
        Assert.Contains("agents.db01.tokenFile", ex.Message);
        Assert.Contains("does not exist", ex.Message);
        Assert.Contains("arrays.ARRAY-01: give either token or tokenFile", ex.Message);
    }

    [Fact]
    public void Every_problem_is_listed_in_one_error()
    {
        var ex = Assert.Throws<SnapcatException>(() => ServerConfigLoader.Load(Write("""
            {
              "control": { "insecure": true, "listen": "nowhere" },
              "catalog": { "path": "a.db", "connectionString": "Host=x" },
              "agents": { "db 01": { "url": "ftp://x", "token": "" } },
              "arrays": { "-bad": { "url": "http://x", "token": "t" } }
            }
            """)));
        Assert.Equal("config.invalid", ex.Code);
        foreach (string part in new[] { "control.listen", "bearer token", "either path", "'db 01'", "agents.db 01.url", "agents.db 01.token", "'-bad'" })
            Assert.Contains(part, ex.Message);
    }

    [Fact]
    public void A_connection_string_selects_postgres()
    {
        var c = ServerConfigLoader.Load(Write("""{ "control": { "insecure": true, "listen": "127.0.0.1:1", "token": "t" }, "catalog": { "connectionString": "Host=db;Database=snapcat" } }"""));
        Assert.Equal("Host=db;Database=snapcat", c.CatalogLocation);
    }

    [Fact]
    public void The_minimum_schedule_interval_is_read_and_checked()
    {
        Assert.Null(ServerConfigLoader.Load(Write("""{ "control": { "insecure": true, "listen": "127.0.0.1:1", "token": "t" } }""")).MinimumScheduleInterval);
        var c = ServerConfigLoader.Load(Write("""{ "control": { "insecure": true, "listen": "127.0.0.1:1", "token": "t" }, "scheduling": { "minimumIntervalSeconds": 300 } }"""));
        Assert.Equal(TimeSpan.FromMinutes(5), c.MinimumScheduleInterval);
        var ex = Assert.Throws<SnapcatException>(() => ServerConfigLoader.Load(Write("""{ "control": { "insecure": true, "listen": "127.0.0.1:1", "token": "t" }, "scheduling": { "minimumIntervalSeconds": 0 } }""")));
        Assert.Contains("scheduling.minimumIntervalSeconds", ex.Message);
    }
}
