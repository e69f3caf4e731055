using System.Text.Json.Nodes;
using Snapcat.Core.Errors;
using Snapcat.TestKit;
using Snapcat.Contracts.Agent;
using Snapcat.Contracts.Server;
using Snapcat.Server.Tests.Fixtures;

namespace Snapcat.Server.Tests.EndToEnd;

/// <summary>
/// What a backup is — its definition, its origin, its ID — survives a catalog loss because its volume
/// information carries it (record version 2). Real array, agent and server processes (ServerRig), driven by
/// the CLI and the control APIs: retention per definition (issue 9.1), copies stay copies after a rebuild
/// (15.2), IDs never reused and kept by a rebuild (15.7), nothing recorded is checked too late (9.6), one
/// unreadable array does not stop a rebuild (9.14). The catalog rows are read as JSON objects.
/// </summary>
public sealed class BackupIdentityTests
{
    private static async Task<JsonObject[]> ListAsync(ServerRig rig, params string[] filter) =>
        JsonNode.Parse(await rig.CliOkAsync(["backup", "list", "-o", "json", "--limit", "1000", .. filter]))!.AsArray().Select(n => n!.AsObject()).ToArray();

    private static long Id(JsonObject row) => row["id"]!.GetValue<long>();
    private static string S(JsonObject row, string field) => row[field]!.GetValue<string>();

    private static Task<string> SnapshotDefinitionAsync(ServerRig rig, string name, int keep) =>
        rig.CliOkAsync(rig.SnapshotArgs(name, name, keep));

    private static async Task RunAsync(ServerRig rig, string name) =>
        Assert.Contains("succeeded", await rig.CliOkAsync("backup", "run", name, "--wait"));

    private static async Task<JsonNode> RebuildAsync(ServerRig rig)
    {
        var job = await rig.Client.RebuildAsync(new RebuildRequest());
        var final = ServerClient.EnsureSucceeded(await rig.Client.WaitForJobAsync(job.Id, timeout: TimeSpan.FromMinutes(3)));
        return JsonNode.Parse(final.Result!.ToJsonString())!;
    }

    [Fact]
    public async Task Retention_is_per_definition_and_a_rebuild_keeps_IDs_origins_and_definitions()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.System("ARRAY-IDS"));
        await SnapshotDefinitionAsync(rig, "five", 5);
        await SnapshotDefinitionAsync(rig, "one", 1);

        // Issue 9.1: a run of the keep-1 definition used to delete the keep-5 definition's snapshots.
        await RunAsync(rig, "five");
        await RunAsync(rig, "five");
        await RunAsync(rig, "one");
        await RunAsync(rig, "one");
        Assert.Equal(2, (await ListAsync(rig, "--label", "five")).Length);
        Assert.Single(await ListAsync(rig, "--label", "one"));

        // Issue 15.7: deleting the newest backup must not hand its ID to the next one.
        long newest = (await ListAsync(rig)).Max(Id);
        await rig.CliOkAsync("backup", "delete", newest.ToString(), "--wait");
        await RunAsync(rig, "one");
        long next = Id(Assert.Single(await ListAsync(rig, "--label", "one")));
        Assert.True(next > newest, $"backup ID {next} was handed out again after deleting {newest}");

        // Issue 15.2: a copy of a snapshot backup (FIG. 19) onto an ordinary volume.
        var newestFive = (await ListAsync(rig, "--label", "five")).MaxBy(Id)!;
        uint spare = (await rig.Array.CreateVolumeAsync(rig.VolumeSize)).Number;
        await rig.CliOkAsync("backup", "copy", Id(newestFive).ToString(), "--to", spare.ToString(), "--wait");
        var copy = Assert.Single(await ListAsync(rig), r => S(r, "mediaId") == spare.ToString());
        Assert.Equal("copy", S(copy, "origin"));

        var before = (await ListAsync(rig)).ToDictionary(r => S(r, "mediaId"), r => (Id(r), S(r, "origin"), S(r, "label")));
        await rig.LoseCatalogAsync();
        await rig.StartServerAsync();
        var report = await RebuildAsync(rig);
        Assert.Equal(before.Count, report["added"]!.GetValue<int>());
        var after = (await ListAsync(rig)).ToDictionary(r => S(r, "mediaId"), r => (Id(r), S(r, "origin"), S(r, "label")));
        // The same IDs, and the copy is still a copy.
        Assert.Equal(before.OrderBy(p => p.Key), after.OrderBy(p => p.Key));
        Assert.Equal("copy", after[spare.ToString()].Item2);
        Assert.All(await ListAsync(rig), r => Assert.Equal(S(r, "label"), r["definition"]?.GetValue<string>()));

        // The definitions went with the catalog; defined again, each prunes only its own generations, and the
        // rebuilt copy is never taken for a snapshot (it used to fail every run with deletion.not_a_snapshot).
        await SnapshotDefinitionAsync(rig, "five", 5);
        await SnapshotDefinitionAsync(rig, "one", 1);
        await RunAsync(rig, "one");
        Assert.Equal(2, (await ListAsync(rig, "--label", "five")).Count(r => S(r, "origin") == "backup"));
        for (int i = 0; i < 4; i++) await RunAsync(rig, "five");
        var rows = await ListAsync(rig);
        Assert.Equal(5, rows.Count(r => S(r, "label") == "five" && S(r, "origin") == "backup"));
        Assert.Single(rows, r => S(r, "label") == "one");
        Assert.Equal(before[spare.ToString()].Item1, Id(Assert.Single(rows, r => S(r, "origin") == "copy")));
        Assert.All(rows.Where(r => !before.ContainsKey(S(r, "mediaId"))), r => Assert.True(Id(r) > before.Values.Max(v => v.Item1)));
        // The array holds exactly the snapshots the catalog lists (the copy is an ordinary volume).
        var snapshots = await rig.Array.ListSnapshotsAsync(rig.Primary);
        Assert.Equal(rows.Where(r => S(r, "origin") == "backup").Select(r => S(r, "mediaId")).Order(), snapshots.Select(s => s.Number.ToString()).Order());
    }

    [Fact]
    public async Task A_field_the_record_cannot_hold_is_refused_before_any_snapshot_exists()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.System("ARRAY-NUL"));
        int volumes = (await rig.Array.ListVolumesAsync()).Count;

        // The server refuses the definition (its label would be cut at the NUL byte in the record).
        var definition = new DefinitionDto
        {
            Name = "nul", Host = ServerRig.Host, MountPoint = ServerRig.MountPoint, Kind = "snapshot", DeviceId = rig.DeviceId,
            KeepGenerations = 1, Label = "bad\0label",
        };
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => rig.Client.CreateDefinitionAsync(definition));
        Assert.Equal("definition.invalid", ex.Code);
        Assert.Contains("NUL", ex.Message);

        // The agent refuses such an order itself, before the preprocess and before the snapshot.
        var agent = rig.AgentNode.Client;
        foreach (var order in new[]
        {
            new BackupOrder("snapshot", ServerRig.MountPoint, "bad\0label"),
            new BackupOrder("snapshot", ServerRig.MountPoint, "fine", Definition: new string('d', 65)),
            new BackupOrder("mirror", ServerRig.MountPoint, "bad\0label", DestinationVolume: rig.Secondary),
        })
        {
            var refused = await Assert.ThrowsAsync<SnapcatException>(() => agent.StartBackupAsync(order));
            Assert.Equal(ErrorKind.Invalid, refused.Kind);
        }
        Assert.Equal(volumes, (await rig.Array.ListVolumesAsync()).Count);
        Assert.False(File.Exists(rig.HookLog));
    }

    [Fact]
    public async Task Orphan_snapshots_are_reported_apart_from_primaries_and_deleted_on_request()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.System("ARRAY-ORPH"));
        await SnapshotDefinitionAsync(rig, "kept", 2);
        await RunAsync(rig, "kept");
        var labelled = Assert.Single(await ListAsync(rig));
        // What a backup run killed between its snapshot and its record leaves behind.
        uint orphan = (await rig.Array.CreateSnapshotAsync(rig.Primary)).Number;

        var report = await RebuildAsync(rig);
        var array = report["arrays"]![0]!;
        Assert.Equal([orphan], array["orphans"]!.AsArray().Select(n => n!.GetValue<uint>()));
        var without = array["withoutVolumeInfo"]!.AsArray().Select(n => n!.GetValue<uint>()).ToArray();
        Assert.Contains(rig.Primary, without);
        Assert.DoesNotContain(orphan, without);

        string listed = await rig.CliOkAsync("catalog", "orphans");
        Assert.Contains("1 orphan snapshot(s)", listed);
        string deleted = await rig.CliOkAsync("catalog", "orphans", "--delete");
        Assert.Contains("1 deleted", deleted);
        var left = (await rig.Array.ListVolumesAsync()).Select(v => v.Number).ToArray();
        Assert.DoesNotContain(orphan, left);
        Assert.Contains(uint.Parse(S(labelled, "mediaId")), left);
        Assert.Contains(rig.Primary, left);
        Assert.Contains("0 orphan snapshot(s)", await rig.CliOkAsync("catalog", "orphans"));
    }

    [Fact]
    public async Task An_unreachable_array_is_one_row_of_the_rebuild_report_and_the_other_array_and_the_tapes_still_import()
    {
        var options = ServerRigOptions.System("ARRAY-UP") with
        {
            // Sorted before ARRAY-UP, so it is read first; nothing listens on its port.
            ExtraArrays = new Dictionary<string, string> { ["ARRAY-DOWN"] = $"http://127.0.0.1:{FreePort.Next()}" },
            TapeLibrary = new() { LibraryId = "TAPE-RB", Directory = "tapes", Capacity = "256M", Slots = 8, Drives = 1 },
        };
        await using var rig = await ServerRig.StartAsync(options);
        await SnapshotDefinitionAsync(rig, "snap", 2);
        await RunAsync(rig, "snap");
        var snap = Assert.Single(await ListAsync(rig));
        await rig.CliOkAsync("backup", "copy-to-tape", Id(snap).ToString(), "--wait");
        var before = (await ListAsync(rig)).Select(r => (Id(r), S(r, "deviceId"), S(r, "origin"))).Order().ToArray();
        Assert.Equal(2, before.Length);

        await rig.LoseCatalogAsync();
        await rig.StartServerAsync();
        var report = await RebuildAsync(rig);
        var arrays = report["arrays"]!.AsArray();
        var down = Assert.Single(arrays, a => a!["deviceId"]!.GetValue<string>() == "ARRAY-DOWN")!;
        Assert.False(string.IsNullOrEmpty(down["error"]?.GetValue<string>()));
        var up = Assert.Single(arrays, a => a!["deviceId"]!.GetValue<string>() == "ARRAY-UP")!;
        Assert.Single(up["added"]!.AsArray());
        Assert.Single(report["tapes"]!["added"]!.AsArray());
        var after = (await ListAsync(rig)).Select(r => (Id(r), S(r, "deviceId"), S(r, "origin"))).Order().ToArray();
        Assert.Equal(before, after);
    }
}
