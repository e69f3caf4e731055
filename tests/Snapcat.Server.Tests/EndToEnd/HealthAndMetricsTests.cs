using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.EndToEnd;

/// <summary>
/// Issue 12, health and metrics, on real array, agent and server processes: <c>/healthz</c> answers without a token on
/// every daemon, <c>/metrics</c> needs one (read-only is enough), parses as the Prometheus text format, and its
/// counters and gauges move with what happens: NBD bytes written and read, backups run, hooks run, snapshots preserving
/// chunks. A server whose SQLite catalog file is deleted under it answers failing with 503.
/// </summary>
public sealed class HealthAndMetricsTests
{
    private const string Monitor = "monitor";

    [Fact]
    public async Task Healthz_is_open_and_ok_and_metrics_parse_and_move_with_backups_hooks_and_nbd_traffic()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.System("ARRAY-MET") with
        {
            VolumeSize = "4M",
            TapeLibrary = new Snapcat.Server.Tape.TapeLibraryConfig { LibraryId = "TAPE-MET", Directory = "tapes", Capacity = "64M", Slots = 16 },
            ServerCredentials = new Dictionary<string, string> { [Monitor] = "read-only" },
        });
        DaemonNode[] nodes = [rig.ArrayNode, rig.AgentNode, rig.ServerNode];

        // Health: no token, 200, ok, with each daemon's checks.
        var serverHealth = await HealthAsync(rig.ServerNode, HttpStatusCode.OK);
        Assert.Equal("ok", (string?)serverHealth["status"]);
        Assert.Equal("ok", (string?)serverHealth["checks"]!["catalog"]!["status"]);
        Assert.Equal("ok", (string?)serverHealth["checks"]!["tape_library"]!["status"]);
        var arrayHealth = await HealthAsync(rig.ArrayNode, HttpStatusCode.OK);
        Assert.Equal("ok", (string?)arrayHealth["status"]);
        Assert.Equal("ok", (string?)arrayHealth["checks"]!["data_directory"]!["status"]);
        Assert.Equal("ok", (string?)arrayHealth["checks"]!["management_table"]!["status"]);
        Assert.Equal("ok", (string?)(await HealthAsync(rig.AgentNode, HttpStatusCode.OK))["status"]);

        // Metrics: refused without a token on every daemon; the server's read-only credential may scrape.
        foreach (var node in nodes)
        {
            using var anonymous = Anonymous(node);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
            var m = await ScrapeAsync(node.Http);
            Assert.All(m.Families.Keys.Where(k => k.StartsWith("snapcat_", StringComparison.Ordinal)), k => Assert.NotEmpty(m.Family(k).Help ?? ""));
        }
        var server0 = await ScrapeAsync(rig.ServerNode.HttpAs(Monitor));
        Assert.Equal(16, server0.Value("snapcat_tape_library_free_slots"));
        Assert.Equal(0, server0.Value("snapcat_tape_library_cartridges", "state=empty"));
        Assert.Equal("counter", server0.Family("snapcat_server_job_finishes_total").Type);
        var array0 = await ScrapeAsync(rig.ArrayNode.Http);
        Assert.Equal("counter", array0.Family("snapcat_nbd_bytes_read_total").Type);
        Assert.Equal("gauge", array0.Family("snapcat_nbd_connections_open").Type);
        Assert.Equal(2, array0.Value("snapcat_array_volumes"));
        Assert.Equal(2 * rig.VolumeBytes, array0.Value("snapcat_array_provisioned_bytes"));
        Assert.True(array0.Value("snapcat_array_data_filesystem_free_bytes") > 0);
        Assert.True(array0.Value("snapcat_array_data_filesystem_size_bytes") >= array0.Value("snapcat_array_data_filesystem_free_bytes"));
        Assert.Equal(0, array0.Value("snapcat_array_snapshots"));
        double written0 = array0.Value("snapcat_nbd_bytes_written_total") ?? -1;
        double connections0 = array0.Value("snapcat_nbd_connections_total") ?? -1;

        // A MiB written over NBD, a mirror and a snapshot backup with hooks, another MiB over the snapshot's source.
        await rig.WritePrimaryAsync(RandomNumberGenerator.GetBytes(1 << 20));
        var t0 = DateTimeOffset.UtcNow.AddSeconds(-1);
        await rig.CliOkAsync(rig.MirrorArgs("met-mirror", "met-mirror", "--pre", "freeze", "--post", "thaw"));
        await rig.CliOkAsync(rig.SnapshotArgs("met-snap", "met-snap", 2, "--pre", "freeze", "--post", "thaw"));
        Assert.Contains("succeeded", await rig.CliOkAsync("backup", "run", "met-mirror", "--wait"));
        Assert.Contains("succeeded", await rig.CliOkAsync("backup", "run", "met-snap", "--wait"));
        var t1 = DateTimeOffset.UtcNow.AddSeconds(1);
        await rig.WritePrimaryAsync(RandomNumberGenerator.GetBytes(1 << 20));
        var array1 = await ScrapeAsync(rig.ArrayNode.Http);
        Assert.True(array1.Value("snapcat_nbd_bytes_written_total") >= written0 + (2 << 20), $"written {array1.Value("snapcat_nbd_bytes_written_total")} after {written0}");
        Assert.Equal(1, array1.Value("snapcat_array_snapshots"));
        // The second MiB overwrote 16 chunks of 64 KiB that the snapshot had to keep.
        Assert.True(array1.Value("snapcat_array_snapshot_preserved_chunks") >= 16, $"preserved chunks {array1.Value("snapcat_array_snapshot_preserved_chunks")}");
        Assert.True(array1.Value("snapcat_array_snapshot_preserved_bytes") >= 1 << 20, $"preserved bytes {array1.Value("snapcat_array_snapshot_preserved_bytes")}");
        Assert.True(array1.Value("snapcat_array_allocated_bytes") >= 1 << 20);

        // An nbdcopy read of the primary: bytes read and connections grow; afterwards no connection stays open.
        double read1 = array1.Value("snapcat_nbd_bytes_read_total") ?? -1;
        await rig.ArrayNode.Port(0).NbdcopyHashAsync(1);
        PrometheusText? array2 = null;
        await Poll.UntilAsync(async () => (array2 = await ScrapeAsync(rig.ArrayNode.Http)).Value("snapcat_nbd_connections_open") == 0,
            TimeSpan.FromSeconds(30), "the NBD connections of nbdcopy to close");
        // Both writes covered the first MiB, the rest of the volume is a hole that nbdcopy skips: at least a MiB read.
        Assert.True(array2!.Value("snapcat_nbd_bytes_read_total") >= read1 + (1 << 20), $"read {array2.Value("snapcat_nbd_bytes_read_total")} after {read1}");
        Assert.True(array2.Value("snapcat_nbd_connections_total") > connections0);

        // The server counted two finished backups and knows when each definition last succeeded.
        var server1 = await ScrapeAsync(rig.ServerNode.HttpAs(Monitor));
        Assert.Equal(2, server1.Value("snapcat_server_job_finishes_total", "outcome=succeeded", "kind=backup"));
        Assert.Equal(2, server1.Value("snapcat_server_jobs", "state=succeeded", "kind=backup"));
        Assert.Equal(1, server1.Value("snapcat_server_catalog_backups", "kind=mirror"));
        Assert.Equal(1, server1.Value("snapcat_server_catalog_backups", "kind=snapshot"));
        foreach (string definition in new[] { "met-mirror", "met-snap" })
        {
            double last = server1.Value("snapcat_server_definition_last_success_timestamp_seconds", $"definition={definition}")
                ?? throw new Xunit.Sdk.XunitException($"no last success for {definition}");
            Assert.InRange(last, t0.ToUnixTimeSeconds(), t1.ToUnixTimeSeconds());
        }

        // The agent ran freeze before and thaw after each backup.
        var agent1 = await ScrapeAsync(rig.AgentNode.Http);
        Assert.Equal(2, agent1.Value("snapcat_agent_hook_runs_total", "phase=pre", "outcome=succeeded"));
        Assert.Equal(2, agent1.Value("snapcat_agent_hook_runs_total", "phase=post", "outcome=succeeded"));
        Assert.True(agent1.Family("snapcat_agent_jobs").Samples.Where(s => s.Labels["state"] == "succeeded").Sum(s => s.Value) >= 2);
    }

    [Fact]
    public async Task A_server_whose_sqlite_catalog_file_is_deleted_under_it_answers_failing_with_503_and_no_secret()
    {
        await using var sys = new SnapcatSystem("health-fault");
        var server = sys.AddServer();
        await sys.StartAsync();
        Assert.Equal("ok", (string?)(await HealthAsync(server, HttpStatusCode.OK))["status"]);

        // The catalog file goes away under the running server (a lost disk, an administrator's rm): its pooled
        // connections still write to the deleted file, which no restart would find again.
        foreach (string suffix in new[] { "", "-wal", "-shm" }) File.Delete(server.CatalogFile + suffix);

        var health = await HealthAsync(server, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("failing", (string?)health["status"]);
        Assert.Equal("failing", (string?)health["checks"]!["catalog"]!["status"]);
        string text = health.ToJsonString();
        Assert.Contains("SQLite", text, StringComparison.Ordinal);
        Assert.DoesNotContain(server.CatalogFile, text, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Token, text, StringComparison.Ordinal);
    }

    private static HttpClient Anonymous(DaemonNode node) => new(node.CreateHttpHandler()) { BaseAddress = node.ControlUrl, Timeout = TimeSpan.FromSeconds(60) };

    private static async Task<JsonNode> HealthAsync(DaemonNode node, HttpStatusCode expected)
    {
        using var http = Anonymous(node);
        using var response = await http.GetAsync("/healthz");
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{node.Kind} /healthz answered {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(body)!;
    }

    private static async Task<PrometheusText> ScrapeAsync(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
        using var response = await http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"/metrics answered {(int)response.StatusCode}: {body}");
        return PrometheusText.Parse(body);
    }
}
