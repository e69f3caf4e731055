using System.Net;
using Snapcat.Array.Tests.Daemon;
using Snapcat.Contracts.Array;
using Snapcat.TestKit;

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
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-FULL", dataPortCount: 1, configure: n => { n.DataDirectory = fs.Combine("array"); });
        var keep = await a.Client.CreateVolumeAsync("4M");
        var doomed = await a.Client.CreateVolumeAsync("4M");
        await a.AssignAsync(keep.Number, 1, readOnly: false);

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
        // The first call after the fill finds no block at all; a later one may fit into space SQLite
        // had already allocated for the WAL frames of a rolled-back call, and then simply succeeds.
        // Either way: 507 storage.full and nothing changed, or done.
        var failed = new List<int>();
        for (int i = 0; i < calls.Length; i++)
        {
            var (what, call, ok) = calls[i];
            string shape = Shape(await a.GetAsync<List<VolumeDto>>("/v1/volumes"));
            var r = await call();
            if (r.StatusCode == ok && i > 0) continue;
            var e = await HttpAssert.ExpectErrorAsync(r, 507);
            Assert.True(e.Code == "storage.full", $"{what}: {e.Code}: {e.Message}");
            Assert.Contains("space", e.Message);
            Assert.Equal(shape, Shape(await a.GetAsync<List<VolumeDto>>("/v1/volumes")));
            failed.Add(i);
        }
        // No file without a row, no row without a file.
        var during = await a.GetAsync<List<VolumeDto>>("/v1/volumes");
        Assert.Equal(during.Where(x => x.Kind == "volume").Select(x => VolumeFile(x.Number)).Order(),
            Directory.GetFiles(Path.Combine(a.DataPath, "volumes")).Select(Path.GetFileName).Order());

        await fs.FreeAsync();

        foreach (int i in failed)
        {
            var (what, call, ok) = calls[i];
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

    private static string VolumeFile(uint number) => $"{number:D6}.vol";

    private static string Shape(IEnumerable<VolumeDto> vs) => string.Join("; ", vs.OrderBy(v => v.Number).Select(v =>
        $"{v.Number} {v.Kind} {v.Size} info={v.HasVolumeInfo} luns={string.Join(",", v.Assignments.Select(x => x.Lun))} snaps={string.Join(",", v.Snapshots)}"));
}
