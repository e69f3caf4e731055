using System.Net;
using Snapcat.Array.Tests.Daemon;
using Snapcat.Contracts.Array;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.CopyFunctions;

/// <summary>Every wrong copy-function request gets a clear error, and nothing changes.</summary>
public sealed class CopyBadInputTests
{
    [Fact]
    public async Task Bad_orders_are_refused_with_clear_errors_and_change_nothing()
    {
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-BAD", dataPortCount: 1);
        var p = await a.Client.CreateVolumeAsync("4M");
        var s = await a.Client.CreateVolumeAsync("4M");
        var other = await a.Client.CreateVolumeAsync("4M");
        var small = await a.Client.CreateVolumeAsync("2M");
        await a.AssignAsync(p.Number, 1, readOnly: false);
        await a.AssignAsync(other.Number, 3, readOnly: true);
        await a.Port(0).FillAsync(1, 4L << 20, seed: 20);
        await a.Client.AddMirrorAsync(p.Number, s.Number);
        string otherBefore = await a.Port(0).HashLunAsync(3);

        // A destination not in the list: failure status, no job, the volume untouched.
        var e = await HttpAssert.ExpectErrorAsync(await a.PostAsync("/v1/copies", new CopyOrder(p.Number, null, null, other.Number)), 404);
        Assert.Equal("mirror.not_a_destination", e.Code);
        Assert.Contains($"volume {other.Number} is not in the copy destination list of volume {p.Number}", e.Message);
        Assert.Empty(await a.GetAsync<List<JobSnapshot>>("/v1/jobs"));
        Assert.Equal(otherBefore, await a.Port(0).HashLunAsync(3));
        // The same by port + LUN, as an agent would ask.
        e = await HttpAssert.ExpectErrorAsync(await a.PostAsync("/v1/copies", new CopyOrder(null, a.DataPorts[0], 1, other.Number)), 404);
        Assert.Equal("mirror.not_a_destination", e.Code);
        var dests = await a.GetAsync<CopyDestinationsDto>($"/v1/ports/{Uri.EscapeDataString(a.DataPorts[0])}/luns/1/mirrors");
        Assert.Equal(new[] { s.Number }, dests.CopyTo);
        Assert.Equal(p.Number, dests.Volume);
        Assert.Equal("ARRAY-BAD", dests.DeviceId);

        // Mirror list rules.
        e = await HttpAssert.ExpectErrorAsync(await a.PostAsync($"/v1/volumes/{p.Number}/mirrors", new MirrorAddRequest(small.Number)), 400);
        Assert.Equal("mirror.size_mismatch", e.Code);
        e = await HttpAssert.ExpectErrorAsync(await a.PostAsync($"/v1/volumes/{p.Number}/mirrors", new MirrorAddRequest(p.Number)), 400);
        Assert.Equal("mirror.self", e.Code);
        e = await HttpAssert.ExpectErrorAsync(await a.PostAsync($"/v1/volumes/{p.Number}/mirrors", new MirrorAddRequest(s.Number)), 409);
        Assert.Equal("mirror.exists", e.Code);
        e = await HttpAssert.ExpectErrorAsync(await a.PostAsync($"/v1/volumes/{p.Number}/mirrors", new MirrorAddRequest(9999)), 404);
        Assert.Equal("volume.not_found", e.Code);
        Assert.Equal([s.Number], (await a.GetAsync<List<MirrorDestinationDto>>($"/v1/volumes/{p.Number}/mirrors")).Select(m => m.Secondary));

        // Snapshots: of a snapshot, as a mirror volume, read-write on a port.
        var snap = await a.Client.CreateSnapshotAsync(p.Number);
        e = await HttpAssert.ExpectErrorAsync(await a.PostAsync($"/v1/volumes/{snap.Number}/snapshots"), 400);
        Assert.Equal("snapshot.of_snapshot", e.Code);
        e = await HttpAssert.ExpectErrorAsync(await a.PostAsync($"/v1/volumes/{other.Number}/mirrors", new MirrorAddRequest(snap.Number)), 400);
        Assert.Equal("mirror.snapshot", e.Code);
        e = await HttpAssert.ExpectErrorAsync(await a.AssignAsync(snap.Number, a.DataPorts[0], 7, readOnly: false), 400);
        Assert.Equal("snapshot.read_only", e.Code);
        Assert.Empty((await a.Client.GetVolumeAsync(snap.Number)).Assignments);
        Assert.Single((await a.Client.GetVolumeAsync(p.Number)).Snapshots);

        // Restores with a writer connected (a mirror restore and a rollback), unless forced.
        await using (var w = await a.Port(0).ConnectAsync(1))
        {
            e = await HttpAssert.ExpectErrorAsync(await a.PostAsync("/v1/restores", new RestoreOrder(snap.Number)), 409);
            Assert.Equal("restore.writers_connected", e.Code);
            e = await HttpAssert.ExpectErrorAsync(await a.PostAsync("/v1/restores", new RestoreOrder(s.Number)), 409);
            Assert.Equal("restore.writers_connected", e.Code);
            Assert.Empty(await a.GetAsync<List<JobSnapshot>>("/v1/jobs"));
            var forced = await a.Client.StartRestoreAsync(new RestoreOrder(snap.Number, null, true));
            await a.WaitJobSucceededAsync(forced.Id);
        }
        e = await HttpAssert.ExpectErrorAsync(await a.PostAsync("/v1/restores", new RestoreOrder(other.Number)), 400);
        Assert.Equal("restore.not_a_backup", e.Code);

        // Unknown jobs.
        e = await HttpAssert.ExpectErrorAsync(await a.Http.GetAsync("/v1/jobs/j-000000000000"), 404);
        Assert.Equal("job.not_found", e.Code);
        e = await HttpAssert.ExpectErrorAsync(await a.Http.DeleteAsync("/v1/jobs/j-000000000000"), 404);
        Assert.Equal("job.not_found", e.Code);

        // A volume with snapshots is not deleted without force; with force its snapshots go too.
        e = await HttpAssert.ExpectErrorAsync(await a.Http.DeleteAsync($"/v1/volumes/{p.Number}"), 409);
        Assert.Contains($"snapshot(s) {snap.Number}", e.Message);
        Assert.Equal(HttpStatusCode.NoContent, (await a.Http.DeleteAsync($"/v1/volumes/{p.Number}?force=true")).StatusCode);
        await HttpAssert.ExpectErrorAsync(await a.Http.GetAsync($"/v1/volumes/{snap.Number}"), 404);
        Assert.False(Directory.Exists(Path.Combine(a.DataPath, "snapshots", $"{p.Number:D6}")));
        Assert.False(Directory.Exists(Path.Combine(a.DataPath, "mirrors", $"{p.Number:D6}-{s.Number:D6}")));
        Assert.Empty((await a.Client.GetVolumeAsync(s.Number)).MirrorDestinations);
    }
}
