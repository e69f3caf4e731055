using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;

namespace Snapcat.Agent.Tests.Daemon;

/// <summary>
/// Issue 15.6: an agent with restore ports on two arrays takes, for a volume, a restore port of the
/// volume's own array. Two real array daemons and real agent daemons; the volume is read out through
/// the agent's stream route (the tape copy's path), byte for byte.
/// </summary>
public sealed class TwoArrayTests
{
    private static async Task<byte[]> FillAsync(ArrayNode array, uint volume, int seed)
    {
        await array.Client.AssignAsync(volume, array.DataPorts[0], 1, readOnly: false);
        var data = new byte[8 << 20];
        new Random(seed).NextBytes(data);
        await using (var nbd = await NbdClient.ConnectAsync(NbdAddress.Parse(array.DataPorts[0]), "1"))
        {
            await nbd.WriteAsync(0, data);
            await nbd.FlushAsync();
        }
        return data;
    }

    [Fact]
    public async Task A_volume_of_the_second_array_is_read_out_through_that_arrays_restore_port()
    {
        // Each array: data port 0 for hosts, data port 1 for restore ports.
        await using var system = new SnapcatSystem("two-arrays");
        var a = system.AddArray("ARRAY-TA");
        var b = system.AddArray("ARRAY-TB");
        // The first restore port in the table is array A's; a volume of B must not be put there.
        var agent = system.AddAgent("two-host", n => n.Protect("/srv/a", "/dev/nbd0", a.Port(0), 1)
            .AddRestorePort(a.Port(1), 7, "restore-a").AddRestorePort(b.Port(1), 7, "restore-b"));
        // An agent whose only restore port is on array A.
        var agent2 = system.AddAgent("one-port-host", n => n.Protect("/srv/a", "/dev/nbd0", a.Port(0), 1)
            .AddRestorePort(a.Port(1), 8, "restore-a8"));
        await Task.WhenAll(a.StartAsync(), b.StartAsync());
        var ca = a.Client;
        var cb = b.Client;
        uint va = (await ca.CreateVolumeAsync("8M")).Number;
        uint vb = (await cb.CreateVolumeAsync("8M")).Number;
        var dataA = await FillAsync(a, va, seed: 1);
        // Volume numbers are per array: B's volume has the same number as A's, and other bytes.
        await ca.ReleaseAsync(a.DataPorts[0], 1);
        var dataB = await FillAsync(b, vb, seed: 2);
        await cb.ReleaseAsync(b.DataPorts[0], 1);

        await agent.StartAsync();
        {
            var http = agent.Http;
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
        agent.KillHard();

        // An agent whose only restore port is on array A: a volume of B gets a clear error, nothing is assigned.
        await agent2.StartAsync();
        {
            var http2 = agent2.Http;
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
