using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Snapcat.Agent.Config;
using Snapcat.Array.Config;
using Snapcat.Core.Config;
using Snapcat.Server.Config;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Service;

/// <summary>
/// Configuration files are strict: a real daemon (the snapcat executable) refuses at start, with exit code 2 (bad
/// configuration, which systemd does not restart), a key no member reads — at any depth — naming the key, its JSON
/// path and line and the keys that object accepts, and a missing required key by its name. Other start failures
/// exit 1. The configuration examples of README.md and docs/ still load.
/// </summary>
public sealed partial class StrictConfigTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_typo_at_the_top_of_server_json_is_refused_with_exit_2_naming_the_key_path_and_line()
    {
        using var dir = new TempDir("strict");
        string path = dir.Combine("server.json");
        await File.WriteAllTextAsync(path, """
            {
              // the backup server
              "control": { "listen": "127.0.0.1:0", "token": "t", "insecure": true },
              "catalog": { "path": "catalog.db" },
              "agents": {},
              "arrays": {},
              "tapeLibary": { "libraryId": "VTL-01", "directory": "tapes", "capacity": "8M", "slots": 4 }
            }
            """);
        var r = await SnapcatBinary.RunAsync(["server", "serve", "--config", path], Bound);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains($"configuration {path}: unknown key 'tapeLibary' at $.tapeLibary (line 7); known keys here: control, catalog, agents, arrays, ", r.Stderr);
        Assert.Contains("tapeLibrary", r.Stderr[r.Stderr.IndexOf("known keys here", StringComparison.Ordinal)..]);
        Assert.DoesNotContain("ready", r.Stdout);
        Assert.False(File.Exists(dir.Combine("catalog.db")), "the server opened its catalog despite the bad configuration");
    }

    [Fact]
    public async Task A_typo_deep_inside_agent_json_is_refused_with_exit_2_naming_the_nested_key()
    {
        using var dir = new TempDir("strict");
        string path = dir.Combine("agent.json");
        await File.WriteAllTextAsync(path, """
            {
              "hostName": "db-01",
              "control": { "listen": "127.0.0.1:0", "token": "t",
                           "tls": { "certificateFile": "c.crt", "keyFle": "c.key" } },
              "stateDirectory": "state"
            }
            """);
        var r = await SnapcatBinary.RunAsync(["agent", "serve", "--config", path], Bound);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains("unknown key 'keyFle' at $.control.tls.keyFle (line 4); known keys here: certificateFile, keyFile", r.Stderr);
        Assert.Contains(path, r.Stderr);
    }

    [Fact]
    public async Task A_typo_in_an_array_element_of_array_json_is_refused_with_exit_2()
    {
        using var dir = new TempDir("strict");
        string path = dir.Combine("array.json");
        await File.WriteAllTextAsync(path, """
            {
              "deviceId": "ARRAY-01", "dataDirectory": "data",
              "control": { "listen": "127.0.0.1:0", "token": "t", "insecure": true },
              "dataPorts": [ { "listen": "127.0.0.1:0" }, { "listen": "127.0.0.1:0", "maxConnectionPerPeer": 4 } ]
            }
            """);
        var r = await SnapcatBinary.RunAsync(["array", "serve", "--config", path], Bound);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains("unknown key 'maxConnectionPerPeer' at $.dataPorts[1].maxConnectionPerPeer (line 4)", r.Stderr);
        Assert.Contains("maxConnectionsPerPeer", r.Stderr);
        Assert.False(Directory.Exists(dir.Combine("data")), "the array created its data directory despite the bad configuration");
    }

    [Fact]
    public async Task A_missing_required_key_is_named_and_exits_2()
    {
        using var dir = new TempDir("strict");
        string path = dir.Combine("array.json");
        await File.WriteAllTextAsync(path, """
            {
              "dataDirectory": "data",
              "control": { "listen": "127.0.0.1:0", "token": "t", "insecure": true },
              "dataPorts": []
            }
            """);
        var r = await SnapcatBinary.RunAsync(["array", "serve", "--config", path], Bound);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains($"configuration {path}: missing required key 'deviceId' in $", r.Stderr);

        // Nested too: the server's control section without its listen address.
        string server = dir.Combine("server.json");
        await File.WriteAllTextAsync(server, """{ "control": { "token": "t", "insecure": true } }""");
        var s = await SnapcatBinary.RunAsync(["server", "serve", "--config", server], Bound);
        Assert.True(s.ExitCode == 2, $"exit {s.ExitCode}\n{s.Stdout}\n{s.Stderr}");
        Assert.Contains("missing required key 'listen' in $.control", s.Stderr);
    }

    [Fact]
    public async Task A_start_failure_that_is_not_the_configuration_exits_1()
    {
        using var dir = new TempDir("strict");
        // The control port is taken: the configuration is fine, the machine is not (a restart may help).
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        string path = dir.Combine("server.json");
        ConfigFile.Write(path, new ServerConfig { Control = new ServerControlConfig { Listen = $"127.0.0.1:{port}", Token = "t", Insecure = true } });
        var r = await SnapcatBinary.RunAsync(["server", "serve", "--config", path], Bound);
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains("cannot run", r.Stderr);
    }

    /// <summary>Every whole configuration shown in README.md and docs/*.md (jsonc, with comments) still reads strictly.</summary>
    [Fact]
    public void The_configuration_examples_in_the_docs_have_no_unknown_key()
    {
        string root = RepoRoot();
        var files = new[] { Path.Combine(root, "README.md") }.Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md"));
        int read = 0;
        foreach (string file in files)
            foreach (Match m in CodeBlock().Matches(File.ReadAllText(file)))
            {
                string text = m.Groups[1].Value;
                JsonElement element;
                try { element = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }).RootElement.Clone(); }
                catch (JsonException) { continue; } // a fragment ("tapeLibrary": …) or a command line
                if (element.ValueKind != JsonValueKind.Object) continue;
                Type? type = element.TryGetProperty("deviceId", out _) && element.TryGetProperty("dataPorts", out _) ? typeof(ArrayConfig)
                    : element.TryGetProperty("hostName", out _) && element.TryGetProperty("control", out _) ? typeof(AgentConfig)
                    : element.TryGetProperty("control", out _) && (element.TryGetProperty("agents", out _) || element.TryGetProperty("catalog", out _)) ? typeof(ServerConfig)
                    : null;
                if (type is null) continue;
                try { JsonSerializer.Deserialize(text, type, ConfigFile.Json); }
                catch (JsonException ex) { Assert.Fail($"{Path.GetFileName(file)}: an example {type.Name} does not read: {ConfigFile.Describe(ex, type).Message}\n{text}"); }
                read++;
            }
        Assert.True(read >= 3, $"only {read} configuration examples found");
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Directory.Packages.props"))) return d.FullName;
        throw new InvalidOperationException("the repository root is not above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"```jsonc?\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
