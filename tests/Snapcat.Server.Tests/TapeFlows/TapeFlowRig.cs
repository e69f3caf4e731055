using System.Globalization;
using System.Security.Cryptography;
using Snapcat.Array.Api;
using Snapcat.Core.Jobs;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;
using Snapcat.Server.Api;
using Snapcat.Server.Config;
using Snapcat.Server.Hosting;
using Snapcat.Server.Tape;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.TapeFlows;

/// <summary>
/// Real processes for the tape flows: an array daemon with a primary (port A, LUN 1) mirrored to a secondary
/// (port A, LUN 2) and a restore port (port B, LUN 7), an agent daemon for host db01 (/srv/db on the primary),
/// and the backup server in process with a tape library in a temp directory.
/// </summary>
public sealed class TapeFlowRig : IAsyncDisposable
{
    public const string DeviceId = "ARRAY-T1";
    public const string LibraryId = "TAPE-T1";
    public const string Host = "db01";
    public const string MountPoint = "/srv/db";
    /// <summary>Random bytes a mirror backup writes at most; the rest of a larger volume stays zero.</summary>
    private const int RandomBytes = 8 << 20;
    private const string ArrayToken = "array-token-7e21", AgentToken = "agent-token-4b90";
    public const string ServerToken = "server-token-c3d8";

    private readonly int _arrayControl = FreePort.Next(), _agentControl = FreePort.Next();

    private TapeFlowRig(string capacity, string volumeSize)
    {
        Capacity = capacity;
        VolumeSize = volumeSize;
        VolumeBytes = Snapcat.Core.Units.ByteSize.Parse(volumeSize);
        PortA = $"127.0.0.1:{FreePort.Next()}";
        PortB = $"127.0.0.1:{FreePort.Next()}";
        Array = new ArrayClient(new Uri($"http://127.0.0.1:{_arrayControl}"), ArrayToken);
    }

    public TempDir Dir { get; } = new("tapeflows");
    public string Capacity { get; }
    public string VolumeSize { get; }
    public long VolumeBytes { get; }

    /// <summary>The server as a child process (<see cref="StartServerProcessAsync"/>); null while it runs in process.</summary>
    public ChildProcess? ServerProcess { get; private set; }
    public string PortA { get; }
    public string PortB { get; }
    public ArrayClient Array { get; }
    public ChildProcess? ArrayProcess { get; private set; }
    public ChildProcess? AgentProcess { get; private set; }
    public ServerHost Server { get; private set; } = null!;
    public ServerClient Client { get; private set; } = null!;
    public TapeLibrary Library => Server.Runtime.Tapes!;
    public string LibraryDirectory => Dir.Combine("tapes");
    public string CatalogPath => Dir.Combine("catalog.db");
    public uint Primary { get; private set; }
    public uint Secondary { get; private set; }

    public static async Task<TapeFlowRig> StartAsync(string capacity = "64M", string volumeSize = "4M", bool serverProcess = false)
    {
        var rig = new TapeFlowRig(capacity, volumeSize);
        try
        {
            await rig.WriteConfigsAsync();
            rig.ArrayProcess = await StartDaemonAsync(["array", "serve", "--config", rig.Dir.Combine("array.json")], $"snapcat array {DeviceId} ready:");
            rig.Primary = (await rig.Array.CreateVolumeAsync(rig.VolumeSize)).Number;
            rig.Secondary = (await rig.Array.CreateVolumeAsync(rig.VolumeSize)).Number;
            await rig.Array.AssignAsync(rig.Primary, rig.PortA, 1, readOnly: false);
            await rig.Array.AssignAsync(rig.Secondary, rig.PortA, 2, readOnly: true);
            await rig.Array.AddMirrorAsync(rig.Primary, rig.Secondary);
            rig.AgentProcess = await StartDaemonAsync(["agent", "serve", "--config", rig.Dir.Combine("agent.json")], $"snapcat agent {Host} ready:");
            if (serverProcess) await rig.StartServerProcessAsync();
            else await rig.StartServerAsync();
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    private static async Task<ChildProcess> StartDaemonAsync(string[] args, string ready)
    {
        var p = SnapcatBinary.Start(args);
        await Poll.UntilAsync(() => p.Output.Contains(ready) || p.HasExited, TimeSpan.FromSeconds(60), ready);
        if (p.HasExited) throw new InvalidOperationException($"{args[0]} daemon exited during start:\n" + p.Output);
        return p;
    }

    /// <summary>Hook log: one line per hook run, "NAME PHASE LABEL".</summary>
    public string HookLog => Dir.Combine("hooks.log");

    /// <summary>When this file exists, the thaw hook writes it over the primary (LUN 1) right after the snapshot.</summary>
    public string ThawOverwrite => Dir.Combine("thaw-overwrite.img");

    public string[] HookLines() => File.Exists(HookLog) ? File.ReadAllLines(HookLog) : [];

    private async Task WriteConfigsAsync()
    {
        string hook = Dir.Combine("hook.sh");
        await File.WriteAllTextAsync(hook, $$"""
            #!/bin/sh
            echo "$1 $SNAPCAT_PHASE $SNAPCAT_LABEL" >> '{{HookLog}}'
            if [ "$1" = thaw ] && [ -f '{{ThawOverwrite}}' ]; then exec nbdcopy '{{ThawOverwrite}}' 'nbd://{{PortA}}/1'; fi
            """);
        string Hook(string name) => $$"""{ "command": "/bin/sh", "args": ["{{hook}}", "{{name}}"], "timeoutSeconds": 120 }""";
        await File.WriteAllTextAsync(Dir.Combine("array.json"), $$"""
            {
              "deviceId": "{{DeviceId}}",
              "dataDirectory": "data",
              "control": { "listen": "127.0.0.1:{{_arrayControl}}", "token": "{{ArrayToken}}" },
              "dataPorts": [ { "listen": "{{PortA}}" }, { "listen": "{{PortB}}" } ]
            }
            """);
        await File.WriteAllTextAsync(Dir.Combine("agent.json"), $$"""
            {
              "hostName": "{{Host}}",
              "control": { "listen": "127.0.0.1:{{_agentControl}}", "token": "{{AgentToken}}" },
              "stateDirectory": "state",
              "portCorrespondence": [ { "mountPoint": "{{MountPoint}}", "deviceFile": "/dev/nbd0", "dataPort": "{{PortA}}", "lun": 1 } ],
              "restorePorts": [ { "dataPort": "{{PortB}}", "lun": 7, "mountDirectory": "restore-7" } ],
              "restoreDestinations": [ "{{Dir.Path}}" ],
              "arrays": { "{{DeviceId}}": { "url": "http://127.0.0.1:{{_arrayControl}}", "token": "{{ArrayToken}}" } },
              "hooks": { "freeze": {{Hook("freeze")}}, "thaw": {{Hook("thaw")}} },
              "allowRawCommands": false
            }
            """);
    }

    public LoadedServerConfig Config() => new(
        Dir.Combine("server.json"), new NbdAddress("127.0.0.1", FreePort.Next()), ServerToken, CatalogPath,
        new Dictionary<string, RemoteEndpoint> { [Host] = new(new Uri($"http://127.0.0.1:{_agentControl}"), AgentToken) },
        new Dictionary<string, RemoteEndpoint> { [DeviceId] = new(new Uri($"http://127.0.0.1:{_arrayControl}"), ArrayToken) },
        new TapeLibraryConfig { LibraryId = LibraryId, Directory = LibraryDirectory, Capacity = Capacity, Slots = 16 });

    public async Task StartServerAsync()
    {
        Server = await ServerHost.StartAsync(Config());
        Client = new ServerClient(new Uri(Server.ControlUrl), ServerToken);
    }

    public async Task StopServerAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>Starts <c>snapcat server serve</c> as a child process with the same catalog and tape library.</summary>
    public async Task StartServerProcessAsync()
    {
        int port = FreePort.Next();
        string config = Dir.Combine("server.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "control": { "listen": "127.0.0.1:{{port}}", "token": "{{ServerToken}}" },
              "catalog": { "path": "{{CatalogPath}}" },
              "agents": { "{{Host}}": { "url": "http://127.0.0.1:{{_agentControl}}", "token": "{{AgentToken}}" } },
              "arrays": { "{{DeviceId}}": { "url": "http://127.0.0.1:{{_arrayControl}}", "token": "{{ArrayToken}}" } },
              "tapeLibrary": { "libraryId": "{{LibraryId}}", "directory": "{{LibraryDirectory}}", "capacity": "{{Capacity}}", "slots": 16 }
            }
            """);
        ServerProcess = await StartDaemonAsync(["server", "serve", "--config", config], "snapcat server ready:");
        Client = new ServerClient(new Uri($"http://127.0.0.1:{port}"), ServerToken);
    }

    /// <summary>SIGKILL of the server process: no shutdown code runs, whatever it was writing stays as it was.</summary>
    public async Task KillServerProcessAsync()
    {
        ServerProcess!.KillHard();
        Client.Dispose();
        await ServerProcess.DisposeAsync();
        ServerProcess = null;
    }

    public async Task LoseCatalogAsync()
    {
        await StopServerAsync();
        foreach (string suffix in new[] { "", "-wal", "-shm" })
            File.Delete(CatalogPath + suffix);
    }

    /// <summary>Fills the primary with seeded random bytes and runs a mirror backup of it through the server; returns the data and the row.</summary>
    public async Task<(byte[] Data, BackupDto Row)> MirrorBackupAsync(int seed, string label = "nightly")
    {
        var data = new byte[VolumeBytes];
        new Random(seed).NextBytes(data.AsSpan(0, (int)Math.Min(VolumeBytes, RandomBytes)));
        await using (var c = await NbdClient.ConnectAsync(NbdAddress.Parse(PortA), "1"))
        {
            await c.WriteAsync(0, data.AsMemory(0, (int)Math.Min(VolumeBytes, RandomBytes)));
            await c.FlushAsync();
        }
        string name = $"db-{seed}";
        await Client.CreateDefinitionAsync(new DefinitionDto
        {
            Name = name, Host = Host, MountPoint = MountPoint, Kind = "mirror", DeviceId = DeviceId, DestinationVolume = Secondary, Label = label,
        });
        var job = await Client.RunDefinitionAsync(name);
        ServerClient.EnsureSucceeded(await Client.WaitForJobAsync(job.Id, timeout: TimeSpan.FromSeconds(60)));
        var rows = await Client.SearchBackupsAsync(new Snapcat.Server.Catalog.BackupDataFilter { DeviceId = DeviceId, Label = label });
        return (data, Assert.Single(rows));
    }

    /// <summary>Writes <paramref name="data"/> (the volume's size) over the primary (LUN 1) over NBD.</summary>
    public async Task WritePrimaryAsync(byte[] data)
    {
        await using var c = await NbdClient.ConnectAsync(NbdAddress.Parse(PortA), "1");
        await c.WriteAsync(0, data);
        await c.FlushAsync();
    }

    /// <summary>Creates a tape definition (freeze/thaw hooks) and runs it; returns the finished job.</summary>
    public async Task<JobSnapshot> RunTapeDefinitionAsync(string name, string label)
    {
        await Client.CreateDefinitionAsync(new DefinitionDto
        {
            Name = name, Host = Host, MountPoint = MountPoint, Kind = "tape", DeviceId = LibraryId, Label = label, PreHook = "freeze", PostHook = "thaw",
        });
        return await WaitAsync(await Client.RunDefinitionAsync(name));
    }

    /// <summary>The array's volume numbers, snapshots included.</summary>
    public async Task<uint[]> VolumeNumbersAsync() => (await Array.ListVolumesAsync()).Select(v => v.Number).Order().ToArray();

    public async Task<JobSnapshot> WaitAsync(JobSnapshot started) =>
        await Client.WaitForJobAsync(started.Id, timeout: TimeSpan.FromSeconds(120));

    /// <summary>A new volume of the backup's size, not assigned anywhere (the agent assigns it to its restore port).</summary>
    public async Task<uint> FreshVolumeAsync() => (await Array.CreateVolumeAsync(VolumeSize)).Number;

    /// <summary>SHA-256 of a volume read over NBD: assigned to port A at <paramref name="lun"/> read-only, read, released.</summary>
    public async Task<string> HashVolumeAsync(uint volume, uint lun)
    {
        await Array.AssignAsync(volume, PortA, lun, readOnly: true);
        try
        {
            await using var c = await NbdClient.ConnectAsync(NbdAddress.Parse(PortA), lun.ToString(CultureInfo.InvariantCulture));
            using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buf = new byte[1 << 20];
            for (long off = 0; off < c.Size; off += buf.Length)
            {
                int n = (int)Math.Min(buf.Length, c.Size - off);
                await c.ReadAsync(off, buf.AsMemory(0, n));
                h.AppendData(buf, 0, n);
            }
            return Convert.ToHexString(h.GetHashAndReset());
        }
        finally
        {
            await Array.ReleaseAsync(PortA, lun);
        }
    }

    public static string Hash(byte[] data) => Convert.ToHexString(SHA256.HashData(data));

    public async ValueTask DisposeAsync()
    {
        if (Client is not null) Client.Dispose();
        if (Server is not null) await Server.DisposeAsync();
        if (ServerProcess is not null) await ServerProcess.DisposeAsync();
        if (AgentProcess is not null) await AgentProcess.DisposeAsync();
        if (ArrayProcess is not null) await ArrayProcess.DisposeAsync();
        Array.Dispose();
        Dir.Dispose();
    }
}
