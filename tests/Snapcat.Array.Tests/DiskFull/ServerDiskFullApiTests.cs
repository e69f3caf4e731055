using System.Net;
using System.Net.Http.Json;
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
    [Fact]
    public async Task Definition_calls_on_a_full_catalog_disk_answer_507_storage_full_and_change_nothing()
    {
        await using var fs = await LoopExt4.CreateAsync(48L << 20);
        await using var system = new SnapcatSystem("srv-full");
        var a = await system.StartArrayAsync("ARRAY-SRVFULL", dataPortCount: 1);
        var v = await a.Client.CreateVolumeAsync("4M");
        await a.AssignAsync(v.Number, 1, readOnly: false);
        system.AddAgent("full-host").Protect("/srv/full", "/dev/nbd0", a.Port(0), 1);
        system.AddServer(s => s.CatalogPath = fs.Combine("catalog.db"));
        await system.StartAsync();
        var http = system.Server.Http;
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
            var e = await HttpAssert.ExpectErrorAsync(r, 507);
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
        system.Server.KillHard();
        await system.Server.RestartAsync();
        string after = await http.GetStringAsync("/v1/definitions");
        Assert.Contains("\"added\"", after);
        Assert.DoesNotContain("\"kept\"", after);
        // The system is disposed (its daemons killed) before the file system is unmounted.
    }
}
