using System.Net;
using Snapcat.Array.Api;
using Snapcat.Array.Tests.CopyFunctions;
using Snapcat.Array.Tests.Daemon;

namespace Snapcat.Array.Tests.DiskFull;

/// <summary>
/// The array's management table (SQLite, SQLITE_FULL) and volume files (ENOSPC) on a data directory
/// that is full: every mutating call answers 507 storage.full, changes nothing, and succeeds once
/// space is back, with nothing lost across a restart. Real array daemon on a loop-mounted ext4.
/// </summary>
public sealed class ArrayDiskFullApiTests
{
    [Fact]
    public async Task Mutating_calls_on_a_full_disk_answer_507_storage_full_and_change_nothing()
    {
        await using var fs = await LoopExt4.CreateAsync(48L << 20);
        await using var a = await RunningArray.StartAsync("ARRAY-FULL", dataPortCount: 1, dataDirectory: fs.Combine("array"));
        var keep = await a.CreateVolumeAsync("4M");
        var doomed = await a.CreateVolumeAsync("4M");
        await a.AssignAsync(keep.Number, 1, readOnly: false);
        var before = await a.GetAsync<List<VolumeDto>>("/v1/volumes");

        await fs.FillAsync();

        byte[] info = new byte[512];
        new Random(7).NextBytes(info);
        var calls = new (string What, Func<Task<HttpResponseMessage>> Call, HttpStatusCode Ok)[]
        {
            ("create a volume", () => a.Http.PostAsync("/v1/volumes", System.Net.Http.Json.JsonContent.Create(new CreateVolumeRequest("4M"))), HttpStatusCode.Created),
            ("assign a LUN", () => a.AssignAsync(keep.Number, a.DataPorts[0], 2), HttpStatusCode.Created),
            ("put volume information", () => a.PutInfoAsync(keep.Number, info), HttpStatusCode.NoContent),
            ("create a snapshot", () => a.PostAsync($"/v1/volumes/{keep.Number}/snapshots"), HttpStatusCode.Created),
            ("delete a volume", () => a.Http.DeleteAsync($"/v1/volumes/{doomed.Number}"), HttpStatusCode.NoContent),
        };
        foreach (var (what, call, _) in calls)
        {
            var e = await RunningArray.ExpectErrorAsync(await call(), 507);
            Assert.True(e.Code == "storage.full", $"{what}: {e.Code}: {e.Message}");
            Assert.Contains("space", e.Message);
        }
        // Nothing changed: the same volumes, assignments, no volume information, no snapshot.
        var during = await a.GetAsync<List<VolumeDto>>("/v1/volumes");
        Assert.Equal(Shape(before), Shape(during));
        Assert.Equal(["000001.vol", "000002.vol"], Directory.GetFiles(Path.Combine(a.DataDirectory, "volumes")).Select(Path.GetFileName).Order());

        await fs.FreeAsync();

        foreach (var (what, call, ok) in calls)
        {
            var r = await call();
            Assert.True(r.StatusCode == ok, $"{what} after space came back: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        }
        var after = await a.GetAsync<List<VolumeDto>>("/v1/volumes");

        // Acknowledged is durable: the same after a restart.
        await a.StopCleanlyAsync();
        await a.RestartAsync();
        var restarted = await a.GetAsync<List<VolumeDto>>("/v1/volumes");
        Assert.Equal(Shape(after), Shape(restarted));
        var k = restarted.Single(x => x.Number == keep.Number);
        Assert.True(k.HasVolumeInfo);
        Assert.Single(k.Snapshots);
        Assert.Equal(2, k.Assignments.Count);
        Assert.DoesNotContain(restarted, x => x.Number == doomed.Number);
        Assert.Equal(3, restarted.Count);  // keep, its snapshot and the new volume
    }

    private static string Shape(IEnumerable<VolumeDto> vs) => string.Join("; ", vs.OrderBy(v => v.Number).Select(v =>
        $"{v.Number} {v.Kind} {v.Size} info={v.HasVolumeInfo} luns={string.Join(",", v.Assignments.Select(x => x.Lun))} snaps={string.Join(",", v.Snapshots)}"));
}
