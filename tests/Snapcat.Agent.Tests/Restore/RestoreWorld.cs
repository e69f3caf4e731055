using System.Security.Cryptography;
using Snapcat.Agent.Config;
using Snapcat.Agent.Hosting;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;
using Snapcat.Contracts.Array;

namespace Snapcat.Agent.Tests.Restore;

[CollectionDefinition(Name)]
public sealed class RestoreCollection : ICollectionFixture<RestoreWorld>
{
    public const string Name = "restore";
}

/// <summary>
/// One real array daemon (<c>snapcat array serve</c>, started by the test system) for the restore tests, with:
///   - a primary volume on data port 0, LUN 0 holding an ext4 file system made by mke2fs -d from
///     <see cref="Content"/> (written with nbdcopy); this is the agent's protected volume "/srv/restore-test";
///   - a mirror secondary copied from it, and a snapshot of it, both of the original content;
///   - a blank volume (no file system);
///   - an agent runtime whose restore port is data port 1, LUN 7, and whose hooks append to <see cref="TracePath"/>.
/// Tests bring the primary into the "changed" state themselves with <see cref="WritePrimaryAsync"/>.
/// Needs root, /dev/fuse and the tools; otherwise <see cref="Unavailable"/> says why and tests skip.
/// </summary>
public sealed class RestoreWorld : IAsyncLifetime
{
    public const string DeviceId = "ARRAY-R1";
    public const string MountPoint = "/srv/restore-test";
    public const long Size = 32 * 1024 * 1024;
    public const uint RestoreLun = 7;
    public static readonly DateTime ReportTime = new(2021, 3, 4, 5, 6, 7, DateTimeKind.Utc);
    public const UnixFileMode RunMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                        UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    private readonly SnapcatSystem _system = new("restore");
    private ArrayNode _array = null!;

    public TempDir Dir => _system.Dir;
    public string? Unavailable { get; private set; }
    public string Content => Dir.Combine("content");
    public string OriginalImage => Dir.Combine("original.img");
    public string ChangedImage => Dir.Combine("changed.img");
    public string TracePath => Dir.Combine("trace");
    public string OriginalSha { get; private set; } = "";
    /// <summary>The array's data ports: 0 serves the primary, 1 is the agent's restore port.</summary>
    public IReadOnlyList<string> DataPorts => _array.DataPorts;
    public ArrayClient Array => _array.Client;
    public AgentRuntime Runtime { get; private set; } = null!;
    public uint Primary { get; private set; }
    public uint Secondary { get; private set; }
    public uint Snapshot { get; private set; }
    public uint Blank { get; private set; }

    public static string? WhyUnavailable()
    {
        if (Environment.UserName != "root") return "needs root for mount";
        if (!File.Exists("/dev/fuse")) return "needs /dev/fuse";
        foreach (string t in new[] { "nbdcopy", "nbdfuse", "fusermount3", "mke2fs", "fsck.ext4", "mount", "umount" })
            if (!Tool.Exists(t)) return $"needs {t}";
        return null;
    }

    public async Task InitializeAsync()
    {
        Unavailable = WhyUnavailable();
        if (Unavailable is not null) return;

        await MakeImagesAsync();
        await StartArrayAsync();

        var p = await Array.CreateVolumeAsync("32M");
        Primary = p.Number;
        await Array.AssignAsync(Primary, DataPorts[0], 0);
        Secondary = (await Array.CreateVolumeAsync("32M")).Number;
        Blank = (await Array.CreateVolumeAsync("32M")).Number;
        await Array.AddMirrorAsync(Primary, Secondary);

        await WritePrimaryAsync(OriginalImage);
        var copy = await Array.StartCopyAsync(new CopyOrder(Primary, null, null, Secondary));
        ArrayClient.EnsureSucceeded(await Array.WaitForJobAsync(copy.Id, timeout: TimeSpan.FromSeconds(60), pollInterval: TimeSpan.FromMilliseconds(50)));
        Snapshot = (await Array.CreateSnapshotAsync(Primary)).Number;

        Runtime = new AgentRuntime(AgentConfigFor());
    }

    private async Task MakeImagesAsync()
    {
        Directory.CreateDirectory(Path.Combine(Content, "docs", "sub"));
        Directory.CreateDirectory(Path.Combine(Content, "bin"));
        Directory.CreateDirectory(Path.Combine(Content, "data"));
        File.WriteAllText(Path.Combine(Content, "docs", "report.txt"), "quarterly numbers: 42\n");
        File.SetLastWriteTimeUtc(Path.Combine(Content, "docs", "report.txt"), ReportTime);
        File.WriteAllText(Path.Combine(Content, "docs", "notes.md"), "not asked for\n");
        File.WriteAllText(Path.Combine(Content, "docs", "sub", "deep.txt"), "deeper\n");
        File.WriteAllText(Path.Combine(Content, "bin", "run.sh"), "#!/bin/sh\necho run\n");
        File.SetUnixFileMode(Path.Combine(Content, "bin", "run.sh"), RunMode);
        File.WriteAllBytes(Path.Combine(Content, "data", "big.bin"), RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17));
        (await Tool.RunAsync("mke2fs", ["-q", "-F", "-t", "ext4", "-d", Content, OriginalImage, "32M"])).EnsureSuccess("mke2fs original");
        OriginalSha = Sha256(OriginalImage);

        // The "after the backup" state: a changed file, a deleted file, a new file.
        string changed = Dir.Combine("changed");
        (await Tool.RunAsync("cp", ["-a", Content, changed])).EnsureSuccess("cp -a");
        File.WriteAllText(Path.Combine(changed, "docs", "report.txt"), "overwritten by mistake\n");
        File.Delete(Path.Combine(changed, "bin", "run.sh"));
        File.WriteAllText(Path.Combine(changed, "new.txt"), "written after the backup\n");
        (await Tool.RunAsync("mke2fs", ["-q", "-F", "-t", "ext4", "-d", changed, ChangedImage, "32M"])).EnsureSuccess("mke2fs changed");
    }

    private async Task StartArrayAsync() => _array = await _system.StartArrayAsync(DeviceId);

    public AgentConfig AgentConfigFor() => new()
    {
        HostName = "restore-host",
        Control = new AgentControlConfig { Insecure = true, Listen = "127.0.0.1:1", Token = "agent-token" },
        StateDirectory = Dir.Combine("agent-state"),
        PortCorrespondence = [new PortCorrespondenceEntry { MountPoint = MountPoint, DeviceFile = "/dev/nbd15", DataPort = DataPorts[0], Lun = 0 }],
        RestorePorts = [new RestorePortEntry { DataPort = DataPorts[1], Lun = RestoreLun, MountDirectory = Dir.Combine("restore-7") }],
        RestoreDestinations = [Dir.Path],
        Arrays = new Dictionary<string, ArrayEndpointConfig> { [DeviceId] = new() { Url = _array.ControlUrl.ToString(), Token = _array.Token, Fingerprint = _array.Fingerprint } },
        Hooks = new Dictionary<string, HookConfig>
        {
            // Each hook leaves a line in the trace file and one on stdout (which lands in the job log).
            ["pre"] = new() { Command = "/bin/sh", Args = ["-c", $"echo \"pre $SNAPCAT_OPERATION $SNAPCAT_BACKUP_VOLUME\" >> '{TracePath}'; echo pre-ran"], TimeoutSeconds = 30 },
            ["post"] = new() { Command = "/bin/sh", Args = ["-c", $"echo \"post $SNAPCAT_OPERATION\" >> '{TracePath}'; echo post-ran"], TimeoutSeconds = 30 },
        },
    };

    public string NbdUri(int port, uint lun) => $"nbd://{DataPorts[port]}/{lun}";

    /// <summary>Overwrites the whole primary with an image, through the array's data port.</summary>
    public async Task WritePrimaryAsync(string image) =>
        (await Tool.RunAsync("nbdcopy", [image, NbdUri(0, 0)], TimeSpan.FromSeconds(60))).EnsureSuccess($"nbdcopy {image} into the primary");

    /// <summary>Reads the whole primary back and returns its SHA-256.</summary>
    public async Task<string> PrimaryShaAsync()
    {
        string file = Dir.Combine($"readback-{Guid.NewGuid():N}.img");
        (await Tool.RunAsync("nbdcopy", [NbdUri(0, 0), file], TimeSpan.FromSeconds(60))).EnsureSuccess("nbdcopy the primary out");
        try { return Sha256(file); }
        finally { File.Delete(file); }
    }

    public static string Sha256(string file)
    {
        using var s = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    public string[] Trace() => File.Exists(TracePath) ? File.ReadAllLines(TracePath).Select(l => l.Trim()).ToArray() : [];

    public void ClearTrace() => File.Delete(TracePath);

    /// <summary>Runs a flow as a job of the runtime, the way the agent's API does, and waits for its end.</summary>
    public async Task<JobSnapshot> RunJobAsync(string kind, Func<JobContext, Task<System.Text.Json.Nodes.JsonNode?>> work)
    {
        var job = Runtime.Jobs.Start(kind, kind, work);
        await job.Completion.WaitAsync(TimeSpan.FromSeconds(60));
        return job.Snapshot();
    }

    public static string LogOf(JobSnapshot job) => string.Join('\n', job.Log.Select(l => $"{l.Level}: {l.Message}"));

    public async Task DisposeAsync()
    {
        Runtime?.Dispose();
        await _system.DisposeAsync();
    }
}
