using System.Net;
using Snapcat.Agent.Config;
using Snapcat.Cli.Commands;
using Snapcat.Cli.Quickstart;
using Snapcat.Server.Config;
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
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-MODES", dataPortCount: 1);
        var v = await a.Client.CreateVolumeAsync("4M");
        var m = await a.Client.CreateVolumeAsync("4M");
        await a.AssignAsync(v.Number, 1, readOnly: false);
        await a.Port(0).FillAsync(1, 4L << 20, seed: 3);
        var s = await a.Client.CreateSnapshotAsync(v.Number);
        await a.Client.AddMirrorAsync(v.Number, m.Number);
        await a.Port(0).FillAsync(1, 1L << 20, seed: 4);  // copy-on-write into the snapshot's store

        string data = a.DataPath;
        Assert.True(File.Exists(Path.Combine(data, "array.db-wal")), "the table runs in WAL mode");
        Assert.True(File.Exists(Path.Combine(data, "array.db-shm")));
        Assert.True(File.Exists(Path.Combine(data, "snapshots", $"{v.Number:D6}", $"snap-{s.Number}.data")));
        AssertPrivateTree(data);
    }

    [Fact]
    public async Task The_server_catalog_and_the_agent_state_are_owner_only_and_remote_tokens_come_from_token_files()
    {
        await using var system = new SnapcatSystem("modes");
        var agent = system.AddAgent("modes-host", n => n.StateDirectory = "agent-state");
        var server = system.AddServer(s => s.CatalogPath = "server-state/catalog.db");
        agent.Token = "agent-token-from-file";
        server.Token = "server-token-from-file";
        await File.WriteAllTextAsync(Path.Combine(agent.Dir, "agent.token"), "agent-token-from-file\n");
        await File.WriteAllTextAsync(Path.Combine(agent.Dir, "array.token"), "array-token-from-file\n");
        await File.WriteAllTextAsync(Path.Combine(server.Dir, "server.token"), "server-token-from-file\n");
        await File.WriteAllTextAsync(Path.Combine(server.Dir, "agent.token"), "agent-token-from-file\n");
        await File.WriteAllTextAsync(Path.Combine(server.Dir, "array.token"), "array-token-from-file\n");

        // The agent, with its state directory, its own token and its array's token from files.
        agent.Edit = c => c with
        {
            Control = c.Control with { Token = null, TokenFile = "agent.token" },
            Arrays = new Dictionary<string, ArrayEndpointConfig> { ["ARRAY-M"] = new() { Url = "http://127.0.0.1:9", TokenFile = "array.token" } },
        };
        // The server, whose own, agent and array tokens come from files, on a catalog in a new folder.
        server.Edit = c => c with
        {
            Control = c.Control with { Token = null, TokenFile = "server.token" },
            Agents = c.Agents!.ToDictionary(e => e.Key, e => e.Value with { Token = null, TokenFile = "agent.token" }),
            Arrays = new Dictionary<string, RemoteEndpointConfig> { ["ARRAY-M"] = new() { Url = "http://127.0.0.1:9", TokenFile = "array.token" } },
        };
        await system.StartAsync();

        // The server reaches the agent with the token it read from agent.token: the host answers.
        using (var r = await server.Http.GetAsync("/v1/definitions"))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        string catalog = Path.Combine(server.Dir, "server-state", "catalog.db");
        await Poll.UntilAsync(() => File.Exists(catalog + "-wal") && File.Exists(catalog + "-shm"), TimeSpan.FromSeconds(30), "the catalog's WAL files");
        AssertPrivateTree(Path.Combine(server.Dir, "server-state"));
        AssertPrivateTree(Path.Combine(agent.Dir, "agent-state"), expectFiles: false);  // nothing is owed yet: just its folders
    }

    [Fact]
    public void Quickstart_configuration_files_with_tokens_and_the_nbd_psk_file_are_0600()
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
        // The data ports' pre-shared keys: owner-only, psktool format, a key for the agent and one for the tour.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(c.PskFilePath));
        var keys = Snapcat.Nbd.Tls.PskKeyFile.Read(c.PskFilePath);
        Assert.Equal([QuickstartContext.TourIdentity, QuickstartContext.Host], keys.Keys.Order().ToArray());
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
