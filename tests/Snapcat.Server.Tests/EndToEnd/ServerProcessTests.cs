using System.Text.Json;
using Snapcat.Cli;
using Snapcat.Server.Api;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.EndToEnd;

/// <summary>
/// The real <c>snapcat server serve</c> process with a real array process and the fake agent, driven
/// by the real CLI commands: definitions, a backup run, catalog loss and rebuild, backup search.
/// </summary>
public sealed class ServerProcessTests
{
    private static async Task<(int Code, string Out, string Err)> CliAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await SnapcatCommand.RunAsync(args, new CliConsole(stdout, stderr), CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Definitions_backup_rebuild_and_search_through_the_server_process_and_the_cli()
    {
        await using var array = await ArrayProcess.StartAsync();
        await array.SetUpPrimaryWithMirrorsAsync();
        await using var agent = new FakeAgent("db01", array, new Dictionary<string, uint> { ["/data"] = 1 });
        await agent.StartAsync();
        using var dir = new TempDir("server-e2e");
        int port = FreePort.Next();
        string config = dir.Combine("server.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "control": { "listen": "127.0.0.1:{{port}}", "token": "e2e-token" },
              "agents": { "db01": { "url": "{{agent.Url}}", "token": "{{FakeAgent.Token}}" } },
              "arrays": { "ARRAY-S1": { "url": "{{array.Url}}", "token": "{{ArrayProcess.Token}}" } }
            }
            """);

        async Task<ChildProcess> StartServerAsync()
        {
            var p = SnapcatBinary.Start("server", "serve", "--config", config);
            await Poll.UntilAsync(() => p.Output.Contains("snapcat server ready:") || p.HasExited, TimeSpan.FromSeconds(60), "the server's ready line");
            Assert.False(p.HasExited, p.Output);
            return p;
        }

        var server = await StartServerAsync();
        try
        {
            string[] conn = ["--config", config];
            var create = await CliAsync(["definition", "create", "nightly", "--host", "db01", "--mount-point", "/data", "--kind", "mirror",
                "--device", "ARRAY-S1", "--volume", "2", "--label", "nightly", "--schedule", "0 3 * * *", .. conn]);
            Assert.True(create.Code == 0, create.Err);
            Assert.Contains("snapcat backup run nightly", create.Out);

            var bad = await CliAsync(["definition", "create", "bad", "--host", "db01", "--mount-point", "/data", "--kind", "mirror",
                "--device", "ARRAY-S1", "--volume", "4", "--label", "x", .. conn]);
            Assert.Equal(1, bad.Code);
            Assert.Contains("(definition.volume_not_in_copy_list)", bad.Err);

            var list = await CliAsync(["definition", "list", "-o", "json", .. conn]);
            var defs = JsonSerializer.Deserialize<DefinitionDto[]>(list.Out, ServerClient.Json)!;
            Assert.Equal("nightly", Assert.Single(defs).Name);
            Assert.NotNull(defs[0].NextRun);

            var run = await CliAsync(["backup", "run", "nightly", "--wait", .. conn]);
            Assert.True(run.Code == 0, run.Out + run.Err);
            Assert.Contains("succeeded", run.Out);
            Assert.Contains("recorded backup", run.Out);

            var before = JsonSerializer.Deserialize<BackupDto[]>((await CliAsync(["backup", "list", "--host", "db01", "-o", "json", .. conn])).Out, ServerClient.Json)!;
            Assert.Single(before);

            // Catalog loss: stop the server, delete the SQLite file, start again, rebuild from the array.
            await server.DisposeAsync();
            foreach (string s in new[] { "", "-wal", "-shm" }) File.Delete(dir.Combine("catalog.db" + s));
            server = await StartServerAsync();
            Assert.Equal("[]", (await CliAsync(["backup", "list", "-o", "json", .. conn])).Out.Trim());

            var rebuild = await CliAsync(["catalog", "rebuild", "--array", "ARRAY-S1", .. conn]);
            Assert.True(rebuild.Code == 0, rebuild.Out + rebuild.Err);
            Assert.Contains("1 added", rebuild.Out);

            var after = JsonSerializer.Deserialize<BackupDto[]>((await CliAsync(["backup", "list", "--label", "nightly", "--kind", "mirror", "-o", "json", .. conn])).Out, ServerClient.Json)!;
            var a = Assert.Single(after);
            var b = before[0];
            Assert.Equal((b.Host, b.MountPoint, b.Label, b.Timestamp, b.Kind, b.DeviceId, b.MediaId), (a.Host, a.MountPoint, a.Label, a.Timestamp, a.Kind, a.DeviceId, a.MediaId));

            var table = await CliAsync(["backup", "list", .. conn]);
            Assert.Contains("db01", table.Out);
            // The origin comes back from the volume information: still a backup, not "rebuild" (issue 15.2).
            Assert.Contains("backup", table.Out);
            Assert.Equal(b.Id, a.Id);
            var jobs = await CliAsync(["job", "list", .. conn]);
            Assert.Contains("rebuild", jobs.Out);

            var noToken = await CliAsync("backup", "list", "--server", $"http://127.0.0.1:{port}", "--token", "wrong");
            Assert.Equal(1, noToken.Code);
            Assert.Contains("auth.bad_token", noToken.Err);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
