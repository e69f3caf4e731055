using System.Net;
using Snapcat.Array.Tests.CopyFunctions;
using Snapcat.Cli;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Daemon;

/// <summary>
/// Files that hold volume data, management records or tokens are 0600 and their directories 0700:
/// a real array, backup server and agent as child processes, each with the umask of a normal shell
/// (022), and the quickstart's configuration files. Tokens of remote endpoints come from tokenFile.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PrivateFileModeTests
{
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private const UnixFileMode Dir0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [Fact]
    public async Task The_array_creates_its_data_directory_volumes_snapshots_and_table_owner_only()
    {
        await using var a = await RunningArray.StartAsync("ARRAY-MODES", dataPortCount: 1);
        var v = await a.CreateVolumeAsync("4M");
        var m = await a.CreateVolumeAsync("4M");
        await a.AssignAsync(v.Number, 1, readOnly: false);
        await a.FillAsync(1, 4L << 20, seed: 3);
        var s = await a.SnapshotAsync(v.Number);
        await a.AddMirrorAsync(v.Number, m.Number);
        await a.FillAsync(1, 1L << 20, seed: 4);  // copy-on-write into the snapshot's store

        string data = a.DataDirectory;
        Assert.True(File.Exists(Path.Combine(data, "array.db-wal")), "the table runs in WAL mode");
        Assert.True(File.Exists(Path.Combine(data, "array.db-shm")));
        Assert.True(File.Exists(Path.Combine(data, "snapshots", $"{v.Number:D6}", $"snap-{s.Number}.data")));
        AssertPrivateTree(data);
    }

    [Fact]
    public async Task The_server_catalog_and_the_agent_state_are_owner_only_and_remote_tokens_come_from_token_files()
    {
        using var dir = new TempDir("modes");
        await File.WriteAllTextAsync(dir.Combine("agent.token"), "agent-token-from-file\n");
        await File.WriteAllTextAsync(dir.Combine("array.token"), "array-token-from-file\n");
        await File.WriteAllTextAsync(dir.Combine("server.token"), "server-token-from-file\n");

        // The agent, with its state directory and its array's token from a file.
        int agentPort = FreePort.Next();
        await File.WriteAllTextAsync(dir.Combine("agent.json"), $$"""
            {
              "hostName": "modes-host",
              "control": { "listen": "127.0.0.1:{{agentPort}}", "tokenFile": "agent.token" },
              "stateDirectory": "agent-state",
              "portCorrespondence": [],
              "restorePorts": [],
              "arrays": { "ARRAY-M": { "url": "http://127.0.0.1:9", "tokenFile": "array.token" } },
              "hooks": {}
            }
            """);
        await using var agent = SnapcatBinary.Start("agent", "serve", "--config", dir.Combine("agent.json"));
        await Poll.UntilAsync(() => agent.Output.Contains("snapcat agent modes-host ready:") || agent.HasExited, TimeSpan.FromSeconds(60), "the agent's ready line");
        Assert.False(agent.HasExited, agent.Output);

        // The server, whose agent and array tokens come from files, on a catalog in a new folder.
        int serverPort = FreePort.Next();
        await File.WriteAllTextAsync(dir.Combine("server.json"), $$"""
            {
              "control": { "listen": "127.0.0.1:{{serverPort}}", "tokenFile": "server.token" },
              "catalog": { "path": "server-state/catalog.db" },
              "agents": { "modes-host": { "url": "http://127.0.0.1:{{agentPort}}", "tokenFile": "agent.token" } },
              "arrays": { "ARRAY-M": { "url": "http://127.0.0.1:9", "tokenFile": "array.token" } }
            }
            """);
        await using var server = SnapcatBinary.Start("server", "serve", "--config", dir.Combine("server.json"));
        await Poll.UntilAsync(() => server.Output.Contains("snapcat server ready:") || server.HasExited, TimeSpan.FromSeconds(60), "the server's ready line");
        Assert.False(server.HasExited, server.Output);

        // The server reaches the agent with the token it read from agent.token: the host answers.
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{serverPort}") };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "server-token-from-file");
        using (var r = await http.GetAsync("/v1/definitions"))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        string catalog = dir.Combine("server-state", "catalog.db");
        await Poll.UntilAsync(() => File.Exists(catalog + "-wal") && File.Exists(catalog + "-shm"), TimeSpan.FromSeconds(30), "the catalog's WAL files");
        AssertPrivateTree(dir.Combine("server-state"));
        AssertPrivateTree(dir.Combine("agent-state"), expectFiles: false);  // nothing is owed yet: just its folders
    }

    [Fact]
    public void Quickstart_configuration_files_with_tokens_are_0600()
    {
        using var dir = new TempDir("qs-modes");
        var c = new QuickstartContext(new CliConsole(TextWriter.Null, TextWriter.Null), dir.Path, keep: false)
        {
            DeviceId = "ARRAY-QS",
            ArrayToken = "a1", AgentToken = "a2", ServerToken = "a3",
            ArrayUrl = "http://127.0.0.1:1", AgentUrl = "http://127.0.0.1:2", ServerUrl = "http://127.0.0.1:3",
            DataPort = "127.0.0.1:4", RestorePort = "127.0.0.1:5",
        };
        QuickstartConfigs.Write(c);
        foreach (string f in new[] { c.ArrayConfigPath, c.AgentConfigPath, c.ServerConfigPath })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f));
            Assert.Contains("\"token\"", File.ReadAllText(f));
        }
    }

    /// <summary>The directory and everything under it: directories 0700, files without any group or other bit.</summary>
    private static void AssertPrivateTree(string root, bool expectFiles = true)
    {
        var bad = new List<string>();
        if (File.GetUnixFileMode(root) != Dir0700) bad.Add($"{root} {File.GetUnixFileMode(root)}");
        foreach (string d in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories))
            if (File.GetUnixFileMode(d) != Dir0700) bad.Add($"{d}/ {File.GetUnixFileMode(d)}");
        foreach (string f in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            if ((File.GetUnixFileMode(f) & GroupOrOther) != 0) bad.Add($"{f} {File.GetUnixFileMode(f)}");
        Assert.True(bad.Count == 0, "not owner-only:\n" + string.Join("\n", bad));
        if (expectFiles) Assert.NotEmpty(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories));
    }
}
