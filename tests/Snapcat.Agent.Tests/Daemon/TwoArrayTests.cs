using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Snapcat.Array.Api;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;
using Snapcat.TestKit;

namespace Snapcat.Agent.Tests.Daemon;

/// <summary>
/// Issue 15.6: an agent with restore ports on two arrays takes, for a volume, a restore port of the
/// volume's own array. Two real array daemons and real agent daemons; the volume is read out through
/// the agent's stream route (the tape copy's path), byte for byte.
/// </summary>
public sealed class TwoArrayTests
{
    private const string Token = "two-array-token-77";

    private sealed class ArrayDaemon(string deviceId, TempDir dir) : IAsyncDisposable
    {
        public string DeviceId { get; } = deviceId;
        public int Control { get; } = FreePort.Next();
        public string HostPort { get; } = $"127.0.0.1:{FreePort.Next()}";
        public string RestorePort { get; } = $"127.0.0.1:{FreePort.Next()}";
        public ChildProcess? Process { get; private set; }
        public ArrayClient Client => new(new Uri($"http://127.0.0.1:{Control}"), Token);

        public async Task StartAsync()
        {
            string config = dir.Combine($"{DeviceId}.json");
            await File.WriteAllTextAsync(config, $$"""
                {
                  "deviceId": "{{DeviceId}}",
                  "dataDirectory": "data-{{DeviceId}}",
                  "control": { "listen": "127.0.0.1:{{Control}}", "token": "{{Token}}" },
                  "dataPorts": [ { "listen": "{{HostPort}}" }, { "listen": "{{RestorePort}}" } ]
                }
                """);
            var p = SnapcatBinary.Start("array", "serve", "--config", config);
            Process = p;
            await Poll.UntilAsync(() => p.Output.Contains($"snapcat array {DeviceId} ready:") || p.HasExited, TimeSpan.FromSeconds(60), $"array {DeviceId}'s ready line");
            if (p.HasExited) throw new InvalidOperationException("array daemon exited during start:\n" + p.Output);
        }

        public string Endpoint => $$"""{ "url": "http://127.0.0.1:{{Control}}", "token": "{{Token}}" }""";

        public async ValueTask DisposeAsync()
        {
            if (Process is not null) await Process.DisposeAsync();
        }
    }

    private static async Task<(ChildProcess Agent, HttpClient Http)> StartAgentAsync(TempDir dir, string name, string restorePorts, ArrayDaemon a, ArrayDaemon b)
    {
        int control = FreePort.Next();
        string config = dir.Combine($"{name}.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "hostName": "{{name}}",
              "control": { "listen": "127.0.0.1:{{control}}", "token": "{{Token}}" },
              "stateDirectory": "state-{{name}}",
              "portCorrespondence": [ { "mountPoint": "/srv/a", "deviceFile": "/dev/nbd0", "dataPort": "{{a.HostPort}}", "lun": 1 } ],
              "restorePorts": [ {{restorePorts}} ],
              "arrays": { "{{a.DeviceId}}": {{a.Endpoint}}, "{{b.DeviceId}}": {{b.Endpoint}} }
            }
            """);
        var p = SnapcatBinary.Start("agent", "serve", "--config", config);
        await Poll.UntilAsync(() => p.Output.Contains($"snapcat agent {name} ready:") || p.HasExited, TimeSpan.FromSeconds(60), "the agent's ready line");
        if (p.HasExited) throw new InvalidOperationException("agent daemon exited during start:\n" + p.Output);
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{control}"), Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return (p, http);
    }

    private static async Task<byte[]> FillAsync(ArrayDaemon array, uint volume, int seed)
    {
        using var c = array.Client;
        await c.AssignAsync(volume, array.HostPort, 1, readOnly: false);
        var data = new byte[8 << 20];
        new Random(seed).NextBytes(data);
        await using (var nbd = await NbdClient.ConnectAsync(NbdAddress.Parse(array.HostPort), "1"))
        {
            await nbd.WriteAsync(0, data);
            await nbd.FlushAsync();
        }
        return data;
    }

    [Fact]
    public async Task A_volume_of_the_second_array_is_read_out_through_that_arrays_restore_port()
    {
        using var dir = new TempDir("two-arrays");
        await using var a = new ArrayDaemon("ARRAY-TA", dir);
        await using var b = new ArrayDaemon("ARRAY-TB", dir);
        await Task.WhenAll(a.StartAsync(), b.StartAsync());
        using var ca = a.Client;
        using var cb = b.Client;
        uint va = (await ca.CreateVolumeAsync("8M")).Number;
        uint vb = (await cb.CreateVolumeAsync("8M")).Number;
        var dataA = await FillAsync(a, va, seed: 1);
        // Volume numbers are per array: B's volume has the same number as A's, and other bytes.
        await ca.ReleaseAsync(a.HostPort, 1);
        var dataB = await FillAsync(b, vb, seed: 2);
        await cb.ReleaseAsync(b.HostPort, 1);

        // The first restore port in the table is array A's; a volume of B must not be put there.
        var (agent, http) = await StartAgentAsync(dir, "two-host",
            $$"""{ "dataPort": "{{a.RestorePort}}", "lun": 7, "mountDirectory": "restore-a" }, { "dataPort": "{{b.RestorePort}}", "lun": 7, "mountDirectory": "restore-b" }""", a, b);
        await using (agent)
        using (http)
        {
            var r = await http.GetAsync($"/v1/streams/volume?deviceId={b.DeviceId}&volume={vb}");
            Assert.True(r.StatusCode == HttpStatusCode.OK, $"{(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}\n{agent.Output}");
            Assert.Equal(SHA256.HashData(dataB), SHA256.HashData(await r.Content.ReadAsByteArrayAsync()));

            r = await http.GetAsync($"/v1/streams/volume?deviceId={a.DeviceId}&volume={va}");
            Assert.True(r.StatusCode == HttpStatusCode.OK, $"{(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
            Assert.Equal(SHA256.HashData(dataA), SHA256.HashData(await r.Content.ReadAsByteArrayAsync()));

            // Both restore ports were released again on their own arrays.
            Assert.Empty((await ca.GetVolumeAsync(va)).Assignments);
            Assert.Empty((await cb.GetVolumeAsync(vb)).Assignments);
        }

        // An agent whose only restore port is on array A: a volume of B gets a clear error, nothing is assigned.
        var (agent2, http2) = await StartAgentAsync(dir, "one-port-host",
            $$"""{ "dataPort": "{{a.RestorePort}}", "lun": 8, "mountDirectory": "restore-a8" }""", a, b);
        await using (agent2)
        using (http2)
        {
            var error = await AgentRig.ExpectErrorAsync(await http2.GetAsync($"/v1/streams/volume?deviceId={b.DeviceId}&volume={vb}"), 409);
            Assert.Equal("restore_port.none_on_array", error.Code);
            Assert.Contains(b.DeviceId, error.Message);
            // The same for a file restore: refused when ordered, not as a failed job later.
            var fileError = await AgentRig.ExpectErrorAsync(await http2.PostAsJsonAsync("/v1/file-restores",
                new { deviceId = b.DeviceId, backupVolume = vb, paths = new[] { "etc" }, mountPoint = "/srv/a" }), 409);
            Assert.Equal("restore_port.none_on_array", fileError.Code);
            Assert.Empty(await AgentRig.Read<Snapcat.Core.Jobs.JobSnapshot[]>(await http2.GetAsync("/v1/jobs")));
            Assert.Empty((await cb.GetVolumeAsync(vb)).Assignments);
            Assert.Empty((await ca.GetVolumeAsync(va)).Assignments);
        }
    }
}
