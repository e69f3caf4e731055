using System.Net;
using System.Net.Http.Json;
using Snapcat.Array.Tests.CopyFunctions;
using Snapcat.Array.Tests.Daemon;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.DiskFull;

/// <summary>
/// The backup server's SQLite catalog on a file system that runs full: creating, changing and
/// deleting backup definitions answer 507 storage.full (not 500 "SQLite Error 13"), change nothing,
/// and succeed once space is back. Real array, agent and server daemons; the catalog on a loop-mounted ext4.
/// </summary>
public sealed class ServerDiskFullApiTests
{
    private const string ServerToken = "server-full-token";
    private const string AgentToken = "agent-full-token";

    [Fact]
    public async Task Definition_calls_on_a_full_catalog_disk_answer_507_storage_full_and_change_nothing()
    {
        await using var fs = await LoopExt4.CreateAsync(48L << 20);
        await using var a = await RunningArray.StartAsync("ARRAY-SRVFULL", dataPortCount: 1);
        var v = await a.CreateVolumeAsync("4M");
        await a.AssignAsync(v.Number, 1, readOnly: false);

        using var dir = new TempDir("srv-full");
        int agentPort = FreePort.Next(), serverPort = FreePort.Next();
        await File.WriteAllTextAsync(dir.Combine("agent.json"), $$"""
            {
              "hostName": "full-host",
              "control": { "listen": "127.0.0.1:{{agentPort}}", "token": "{{AgentToken}}" },
              "stateDirectory": "agent-state",
              "portCorrespondence": [ { "mountPoint": "/srv/full", "deviceFile": "/dev/nbd0", "dataPort": "{{a.DataPorts[0]}}", "lun": 1 } ],
              "restorePorts": [],
              "arrays": { "{{a.DeviceId}}": { "url": "http://127.0.0.1:{{a.ControlPort}}", "token": "{{RunningArray.Token}}" } },
              "hooks": {}
            }
            """);
        await using var agent = SnapcatBinary.Start("agent", "serve", "--config", dir.Combine("agent.json"));
        await Poll.UntilAsync(() => agent.Output.Contains("ready:") || agent.HasExited, TimeSpan.FromSeconds(60), "the agent's ready line");
        Assert.False(agent.HasExited, agent.Output);

        string serverConfig = dir.Combine("server.json");
        await File.WriteAllTextAsync(serverConfig, $$"""
            {
              "control": { "listen": "127.0.0.1:{{serverPort}}", "token": "{{ServerToken}}" },
              "catalog": { "path": {{System.Text.Json.JsonSerializer.Serialize(fs.Combine("catalog.db"))}} },
              "agents": { "full-host": { "url": "http://127.0.0.1:{{agentPort}}", "token": "{{AgentToken}}" } },
              "arrays": { "{{a.DeviceId}}": { "url": "http://127.0.0.1:{{a.ControlPort}}", "token": "{{RunningArray.Token}}" } }
            }
            """);
        ChildProcess? server = null;
        try
        {
            server = await StartServerAsync(serverConfig);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{serverPort}"), Timeout = TimeSpan.FromSeconds(60) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ServerToken);

            object Definition(string name, string label) => new
            {
                name, host = "full-host", mountPoint = "/srv/full", kind = "snapshot", deviceId = a.DeviceId, label, keepGenerations = 2,
            };
            var first = await http.PostAsJsonAsync("/v1/definitions", Definition("kept", "daily"));
            Assert.True(first.StatusCode == HttpStatusCode.Created, await first.Content.ReadAsStringAsync());

            await fs.FillAsync();

            var calls = new (string What, Func<Task<HttpResponseMessage>> Call, HttpStatusCode Ok)[]
            {
                ("create a definition", () => http.PostAsJsonAsync("/v1/definitions", Definition("added", "weekly")), HttpStatusCode.Created),
                ("change a definition", () => http.PutAsJsonAsync("/v1/definitions/kept", Definition("kept", "changed")), HttpStatusCode.OK),
                ("delete a definition", () => http.DeleteAsync("/v1/definitions/kept"), HttpStatusCode.NoContent),
            };
            // The first call after the fill finds no block at all; a later one may fit into WAL space
            // SQLite had allocated for a rolled-back call, and then simply succeeds. Either way:
            // 507 storage.full and nothing changed, or done.
            var failed = new List<int>();
            for (int i = 0; i < calls.Length; i++)
            {
                var (what, call, ok) = calls[i];
                string before = await http.GetStringAsync("/v1/definitions");
                var r = await call();
                if (r.StatusCode == ok && i > 0) continue;
                var e = await RunningArray.ExpectErrorAsync(r, 507);
                Assert.True(e.Code == "storage.full", $"{what}: {e.Code}: {e.Message}");
                Assert.Equal(before, await http.GetStringAsync("/v1/definitions"));
                failed.Add(i);
            }

            await fs.FreeAsync();

            foreach (int i in failed)
            {
                var (what, call, ok) = calls[i];
                var r = await call();
                Assert.True(r.StatusCode == ok, $"{what} after space came back: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
            }

            // What was acknowledged is in the catalog after a restart: only "added" is left.
            await server.DisposeAsync();
            server = await StartServerAsync(serverConfig);
            string after = await http.GetStringAsync("/v1/definitions");
            Assert.Contains("\"added\"", after);
            Assert.DoesNotContain("\"kept\"", after);
        }
        finally
        {
            if (server is not null) await server.DisposeAsync();  // before the file system is unmounted
        }
    }

    private static async Task<ChildProcess> StartServerAsync(string config)
    {
        var p = SnapcatBinary.Start("server", "serve", "--config", config);
        await Poll.UntilAsync(() => p.Output.Contains("snapcat server ready:") || p.HasExited, TimeSpan.FromSeconds(60), "the server's ready line");
        if (p.HasExited) throw new InvalidOperationException("server exited during start:\n" + p.Output);
        return p;
    }
}
