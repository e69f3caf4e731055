using System.Security.Cryptography;
using Dapper;
using Snapcat.Array.Api;
using Snapcat.Cli;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;
using Snapcat.Server.Api;
using Snapcat.Server.Catalog;
using Snapcat.TestKit;
using Spectre.Console;

namespace Snapcat.Server.Tests.EndToEnd;

/// <summary>
/// The whole system as real processes on loopback, no fakes: an array (<c>snapcat array serve</c>) with
/// a primary at port A LUN 1 and a mirror secondary in its copy destination list; an agent
/// (<c>snapcat agent serve</c>) protecting /srv/e2e at that port/LUN, with a restore port at port B
/// LUN 7 and freeze/thaw hooks appending to <see cref="HookLog"/>; a backup server
/// (<c>snapcat server serve</c>) on SQLite, or on PostgreSQL when a connection string is given.
/// </summary>
public sealed class SystemRig : IAsyncDisposable
{
    public const string Host = "e2e-host";
    public const string MountPoint = "/srv/e2e";
    public const string VolumeSize = "32M";
    private const string ArrayToken = "e2e-array-token";
    private const string AgentToken = "e2e-agent-token";
    private const string ServerToken = "e2e-server-token";

    private readonly string? _postgres;
    private readonly SystemRigOptions _options;

    private SystemRig(string deviceId, string? postgres, SystemRigOptions? options)
    {
        _postgres = postgres;
        _options = options ?? new SystemRigOptions();
        DeviceId = deviceId;
        Dir = new TempDir("system-e2e");
        ArrayPort = FreePort.Next();
        AgentPort = FreePort.Next();
        ServerPort = FreePort.Next();
        PortA = $"127.0.0.1:{FreePort.Next()}";
        PortB = $"127.0.0.1:{FreePort.Next()}";
        Array = new ArrayClient(new Uri($"http://127.0.0.1:{ArrayPort}"), ArrayToken, TimeSpan.FromSeconds(30));
        Server = new ServerClient(new Uri($"http://127.0.0.1:{ServerPort}"), ServerToken, TimeSpan.FromSeconds(30));
    }

    public TempDir Dir { get; }
    public string DeviceId { get; }
    public int ArrayPort { get; }
    public int AgentPort { get; }
    public int ServerPort { get; }
    public string PortA { get; }
    public string PortB { get; }
    public ArrayClient Array { get; }
    public ServerClient Server { get; }
    public ChildProcess? ArrayProcess { get; private set; }
    public ChildProcess? AgentProcess { get; private set; }
    public ChildProcess? ServerProcess { get; private set; }
    public uint Primary { get; private set; }
    public uint Secondary { get; private set; }
    public string HookLog => Dir.Combine("hooks.log");
    /// <summary>Created by a test to let the "gate" hook finish.</summary>
    public string GateRelease => Dir.Combine("gate.release");
    public string ServerConfig => Dir.Combine("server.json");
    public string CatalogFile => Dir.Combine("catalog.db");
    public string[] Conn => ["--config", ServerConfig];

    public static async Task<SystemRig> StartAsync(string deviceId, string? postgres, SystemRigOptions? options = null)
    {
        var rig = new SystemRig(deviceId, postgres, options);
        try
        {
            if (postgres is not null) await rig.ClearPostgresAsync();
            await rig.WriteConfigsAsync();
            // Start-up of the three .NET processes dominates; they do not need each other to start.
            var array = rig.StartDaemonAsync("array", rig.Dir.Combine("array.json"), $"snapcat array {deviceId} ready:");
            var agent = rig.StartDaemonAsync("agent", rig.Dir.Combine("agent.json"), $"snapcat agent {Host} ready:");
            var server = rig.StartDaemonAsync("server", rig.ServerConfig, "snapcat server ready:");
            rig.ArrayProcess = await array;
            rig.AgentProcess = await agent;
            rig.ServerProcess = await server;
            rig.Primary = (await rig.Array.CreateVolumeAsync(VolumeSize)).Number;
            rig.Secondary = (await rig.Array.CreateVolumeAsync(VolumeSize)).Number;
            await rig.Array.AssignAsync(rig.Primary, rig.PortA, 1, readOnly: false);
            await rig.Array.AddMirrorAsync(rig.Primary, rig.Secondary);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    private async Task WriteConfigsAsync()
    {
        await File.WriteAllTextAsync(Dir.Combine("array.json"), $$"""
            {
              "deviceId": "{{DeviceId}}",
              "dataDirectory": "data",
              "control": { "listen": "127.0.0.1:{{ArrayPort}}", "token": "{{ArrayToken}}" },
              "dataPorts": [ { "listen": "{{PortA}}" }, { "listen": "{{PortB}}" } ]
            }
            """);
        string hook = Dir.Combine("hook.sh");
        await File.WriteAllTextAsync(hook, $$"""
            #!/bin/sh
            echo "$1 $SNAPCAT_PHASE $SNAPCAT_LABEL" >> '{{HookLog}}'
            # "gate" holds its phase until the test creates the release file (crash tests kill the server meanwhile).
            if [ "$1" = gate ]; then while [ ! -f '{{GateRelease}}' ]; do sleep 0.1; done; fi
            """);
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string Hook(string name, int timeout = 30) => $$"""{ "command": "/bin/sh", "args": ["{{hook}}", "{{name}}"], "timeoutSeconds": {{timeout}} }""";
        await File.WriteAllTextAsync(Dir.Combine("agent.json"), $$"""
            {
              "hostName": "{{Host}}",
              "control": { "listen": "127.0.0.1:{{AgentPort}}", "token": "{{AgentToken}}" },
              "stateDirectory": "agent-state",
              "portCorrespondence": [ { "mountPoint": "{{MountPoint}}", "deviceFile": "/dev/nbd0", "dataPort": "{{PortA}}", "lun": 1 } ],
              "restorePorts": [ { "dataPort": "{{PortB}}", "lun": 7, "mountDirectory": "restore-7" } ],
              "restoreDestinations": [ "{{Dir.Path}}" ],
              "arrays": { "{{DeviceId}}": { "url": "http://127.0.0.1:{{ArrayPort}}", "token": "{{ArrayToken}}" } },
              "hooks": { "freeze": {{Hook("freeze")}}, "thaw": {{Hook("thaw")}}, "gate": {{Hook("gate", 300)}} }
            }
            """);
        string extraArrays = string.Concat(_options.ExtraArrays.Select(a => $$""", "{{a.Key}}": { "url": "{{a.Value}}", "token": "{{ArrayToken}}" }"""));
        string tapes = _options.TapeLibraryId is { } library
            ? $$""", "tapeLibrary": { "libraryId": "{{library}}", "directory": "tapes", "capacity": "256M", "slots": 8, "drives": 1 }"""
            : "";
        string catalog = _postgres is null
            ? """{ "path": "catalog.db" }"""
            : $$"""{ "connectionString": {{System.Text.Json.JsonSerializer.Serialize(_postgres)}} }""";
        await File.WriteAllTextAsync(ServerConfig, $$"""
            {
              "control": { "listen": "127.0.0.1:{{ServerPort}}", "token": "{{ServerToken}}" },
              "catalog": {{catalog}},
              "agents": { "{{Host}}": { "url": "http://127.0.0.1:{{AgentPort}}", "token": "{{AgentToken}}" } },
              "arrays": { "{{DeviceId}}": { "url": "http://127.0.0.1:{{ArrayPort}}", "token": "{{ArrayToken}}" }{{extraArrays}} }{{tapes}}
            }
            """);
    }

    /// <summary>The agent's control API, for orders the server would never send (a test of the agent's own checks).</summary>
    public Snapcat.Agent.Api.AgentClient Agent() => new(new Uri($"http://127.0.0.1:{AgentPort}"), AgentToken, TimeSpan.FromSeconds(30));

    private async Task<ChildProcess> StartDaemonAsync(string name, string config, string readyLine)
    {
        var p = SnapcatBinary.Start(name, "serve", "--config", config);
        await Poll.UntilAsync(() => p.Output.Contains(readyLine) || p.HasExited, TimeSpan.FromSeconds(60), $"the {name}'s ready line");
        if (p.HasExited)
        {
            string output = p.Output;
            await p.DisposeAsync();
            throw new InvalidOperationException($"{name} daemon exited during start:\n{output}");
        }
        return p;
    }

    /// <summary>Catalog loss: stop the server, delete the SQLite file (or empty every PostgreSQL table), start it again.</summary>
    public async Task LoseCatalogAsync()
    {
        await ServerProcess!.DisposeAsync();
        ServerProcess = null;
        if (_postgres is null)
        {
            foreach (string s in new[] { "", "-wal", "-shm", "-journal" }) File.Delete(CatalogFile + s);
            Assert.False(File.Exists(CatalogFile));
        }
        else await ClearPostgresAsync();
        ServerProcess = await StartDaemonAsync("server", ServerConfig, "snapcat server ready:");
    }

    /// <summary>A server crash: SIGKILL, no shutdown code runs; <see cref="StartServerAsync"/> starts it again on the same catalog.</summary>
    public void KillServer()
    {
        ServerProcess!.KillHard();
    }

    public async Task StartServerAsync()
    {
        if (ServerProcess is not null) await ServerProcess.DisposeAsync();
        ServerProcess = await StartDaemonAsync("server", ServerConfig, "snapcat server ready:");
    }

    /// <summary>The agent stopped hard and started again: it has forgotten its jobs (they live in memory).</summary>
    public async Task RestartAgentAsync()
    {
        await AgentProcess!.DisposeAsync();
        AgentProcess = await StartDaemonAsync("agent", Dir.Combine("agent.json"), $"snapcat agent {Host} ready:");
    }

    private async Task ClearPostgresAsync()
    {
        await using var db = await CatalogDatabase.OpenAsync(_postgres!);
        await using var c = await db.OpenConnectionAsync();
        await c.ExecuteAsync("TRUNCATE backup_data, backup_definition, backup_volume, backup_volume_target, job");
    }

    /// <summary>The snapcat CLI, in process (its server commands are plain HTTP clients of the server process).</summary>
    public static async Task<(int Code, string Out, string Err)> CliAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        // Wide, so that table cells are not wrapped at 80 columns.
        var ui = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        ui.Profile.Width = 200;
        int code = await SnapcatCommand.RunAsync(args, new CliConsole(stdout, stderr, ui), CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public async Task<string> CliOkAsync(params string[] args)
    {
        var r = await CliAsync([.. args, .. Conn]);
        Assert.True(r.Code == 0, $"snapcat {string.Join(' ', args)} exited {r.Code}:\n{r.Out}\n{r.Err}");
        return r.Out;
    }

    public async Task WritePrimaryAsync(string image) =>
        (await Tool.RunAsync("nbdcopy", [image, $"nbd://{PortA}/1"])).EnsureSuccess("nbdcopy");

    public async Task<string> HashPrimaryAsync()
    {
        await using var c = await NbdClient.ConnectAsync(NbdAddress.Parse(PortA), "1");
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[4 << 20];
        for (long off = 0; off < c.Size; off += buf.Length)
        {
            int n = (int)Math.Min(buf.Length, c.Size - off);
            await c.ReadAsync(off, buf.AsMemory(0, n));
            h.AppendData(buf, 0, n);
        }
        return Convert.ToHexString(h.GetHashAndReset());
    }

    public async ValueTask DisposeAsync()
    {
        Array.Dispose();
        Server.Dispose();
        foreach (var p in new[] { ServerProcess, AgentProcess, ArrayProcess })
            if (p is not null) await p.DisposeAsync();
        Dir.Dispose();
    }
}

/// <summary>
/// What a test adds to the rig's server configuration: <see cref="ExtraArrays"/> (device ID → control URL, e.g. a
/// port nothing listens on) and a tape library in the rig's folder (<see cref="TapeLibraryId"/>).
/// </summary>
public sealed record SystemRigOptions
{
    public IReadOnlyDictionary<string, string> ExtraArrays { get; init; } = new Dictionary<string, string>();
    public string? TapeLibraryId { get; init; }
}
