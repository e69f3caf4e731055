using System.Text.Json;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.Contracts.Server;

namespace Snapcat.Server.Tests.EndToEnd;

/// <summary>
/// The real <c>snapcat server serve</c> process with a real array process and a real agent process, driven
/// by the real CLI commands: definitions, a backup run, catalog loss and rebuild, backup search.
/// </summary>
public sealed class ServerProcessTests
{
    [Fact]
    public async Task Definitions_backup_rebuild_and_search_through_the_server_process_and_the_cli()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Flows with { ServerProcess = true, MinimumIntervalSeconds = null });
        string[] conn = rig.Conn;
        var create = await ServerRig.CliAsync(["definition", "create", "nightly", "--host", "db01", "--mount-point", "/data", "--kind", "mirror",
            "--device", "ARRAY-S1", "--volume", "2", "--label", "nightly", "--schedule", "0 3 * * *", .. conn]);
        Assert.True(create.Code == 0, create.Err);
        Assert.Contains("snapcat backup run nightly", create.Out);

        var bad = await ServerRig.CliAsync(["definition", "create", "bad", "--host", "db01", "--mount-point", "/data", "--kind", "mirror",
            "--device", "ARRAY-S1", "--volume", "4", "--label", "x", .. conn]);
        Assert.Equal(1, bad.Code);
        Assert.Contains("(definition.volume_not_in_copy_list)", bad.Err);

        var list = await ServerRig.CliAsync(["definition", "list", "-o", "json", .. conn]);
        var defs = JsonSerializer.Deserialize<DefinitionDto[]>(list.Out, ServerClient.Json)!;
        Assert.Equal("nightly", Assert.Single(defs).Name);
        Assert.NotNull(defs[0].NextRun);

        var run = await ServerRig.CliAsync(["backup", "run", "nightly", "--wait", .. conn]);
        Assert.True(run.Code == 0, run.Out + run.Err);
        Assert.Contains("succeeded", run.Out);
        Assert.Contains("recorded backup", run.Out);

        var before = JsonSerializer.Deserialize<BackupDto[]>((await ServerRig.CliAsync(["backup", "list", "--host", "db01", "-o", "json", .. conn])).Out, ServerClient.Json)!;
        Assert.Single(before);

        // Catalog loss: stop the server, delete the SQLite file, start again, rebuild from the array.
        await rig.LoseCatalogAsync();
        await rig.StartServerAsync();
        Assert.Equal("[]", (await ServerRig.CliAsync(["backup", "list", "-o", "json", .. conn])).Out.Trim());

        var rebuild = await ServerRig.CliAsync(["catalog", "rebuild", "--array", "ARRAY-S1", .. conn]);
        Assert.True(rebuild.Code == 0, rebuild.Out + rebuild.Err);
        Assert.Contains("1 added", rebuild.Out);

        var after = JsonSerializer.Deserialize<BackupDto[]>((await ServerRig.CliAsync(["backup", "list", "--label", "nightly", "--kind", "mirror", "-o", "json", .. conn])).Out, ServerClient.Json)!;
        var a = Assert.Single(after);
        var b = before[0];
        Assert.Equal((b.Host, b.MountPoint, b.Label, b.Timestamp, b.Kind, b.DeviceId, b.MediaId), (a.Host, a.MountPoint, a.Label, a.Timestamp, a.Kind, a.DeviceId, a.MediaId));

        var table = await ServerRig.CliAsync(["backup", "list", .. conn]);
        Assert.Contains("db01", table.Out);
        // The origin comes back from the volume information: still a backup, not "rebuild" (issue 15.2).
        Assert.Contains("backup", table.Out);
        Assert.Equal(b.Id, a.Id);
        var jobs = await ServerRig.CliAsync(["job", "list", .. conn]);
        Assert.Contains("rebuild", jobs.Out);

        var noToken = await ServerRig.CliAsync("backup", "list", "--server", rig.Client.BaseUrl.ToString(), "--token", "wrong", "--fingerprint", rig.ServerNode.Fingerprint!);
        Assert.Equal(1, noToken.Code);
        Assert.Contains("auth.bad_token", noToken.Err);
    }
}
