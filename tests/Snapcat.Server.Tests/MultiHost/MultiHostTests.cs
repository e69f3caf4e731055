using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Snapcat.Contracts.Server;
using Snapcat.ControlApi.Client;
using Snapcat.Core.Jobs;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;
using Snapcat.Nbd.Tls;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.MultiHost;

/// <summary>
/// Issue 11's multi-host test: the array, one agent and the backup server each on its own "machine" — a network
/// namespace made by the test, joined to the others by a veth bridge it makes and removes — with addresses only
/// on that bridge. The test process itself has no address there: it drives the server with the CLI run on the
/// server's host (<c>ip netns exec</c>), reads and writes volumes with nbdcopy run on the agent's host, and its few
/// direct API calls open their sockets inside the daemon's namespace. Through it a mirror backup, a volume
/// restore, a snapshot backup and a file restore (nbdfuse and a loop mount on the agent's host) pass, and a
/// snapshot backup whose agent loses its link while frozen fails cleanly: thawed, nothing catalogued, no
/// snapshot left, the error naming the unreachable array.
/// </summary>
public sealed class MultiHostTests
{
    /// <summary>
    /// The control APIs of all three daemons serve HTTPS with pinned certificates (the TestKit's default); the
    /// TestKit's own clients of a namespaced daemon go through <see cref="DaemonNode.CreateHttpHandler"/>, where the
    /// certificate check joins the namespace's connect callback. With it on, <see cref="Secure"/> also puts every NBD
    /// data port in <c>tls: require</c> (PSK), so the agent's and the test's own NBD traffic is TLS too.
    /// </summary>
    private static readonly bool Tls = true;

    private const string Host = "db01";
    /// <summary>The PSK identity of the test's own nbdcopy and nbdinfo (the agent proves <see cref="Host"/>).</summary>
    private const string ToolIdentity = "mh-tools";
    private const string MountPoint = "/data";
    private const string DeviceId = "ARRAY-MH";
    private const string VolumeSize = "64M";
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);

    [NamespaceFact]
    public async Task Backups_and_restores_cross_the_bridge_and_a_link_cut_mid_backup_fails_cleanly_with_the_thaw_run()
    {
        await using var net = await NamespaceNetwork.CreateAsync();
        var arrayHost = await net.AddHostAsync("array");
        var agentHost = await net.AddHostAsync("agent");
        var serverHost = await net.AddHostAsync("server");
        await using var sys = new SnapcatSystem("multihost");
        var w = new World(sys);

        var array = sys.AddArray(DeviceId, a => a.Namespace = arrayHost);
        var primary = array.AddVolume(VolumeSize, port: 0, lun: 1);
        var secondary = array.AddVolume(VolumeSize, mirrorOf: primary);
        var agent = sys.AddAgent(Host, a =>
        {
            a.Namespace = agentHost;
            a.Protect(MountPoint, "/dev/nbd0", array.Port(0), 1);
            a.AddRestorePort(array.Port(1), 7, "restore-7");
            a.RestoreDestinations.Add(w.Restored);
            a.AddHook("freeze", "/bin/sh", [w.HookScript, "freeze"], timeoutSeconds: 60);
            a.AddHook("thaw", "/bin/sh", [w.HookScript, "thaw"], timeoutSeconds: 60);
            a.AddHook("gate", "/bin/sh", [w.HookScript, "gate"], timeoutSeconds: 60);
        });
        var server = sys.AddServer(s => s.Namespace = serverHost);
        w.ToolTls = Secure(sys);
        await w.WriteHookScriptAsync();
        await sys.StartAsync();

        // Every daemon listens on its own host's bridge address, nowhere else.
        Assert.Equal(arrayHost.Address.ToString(), array.ControlUrl.Host);
        Assert.All(array.DataPorts, p => Assert.StartsWith(arrayHost.Address + ":", p, StringComparison.Ordinal));
        Assert.Equal(agentHost.Address.ToString(), agent.ControlUrl.Host);
        Assert.Equal(serverHost.Address.ToString(), server.ControlUrl.Host);
        Assert.All(new[] { array.ControlUrl, agent.ControlUrl, server.ControlUrl }, u => Assert.Equal(Tls ? "https" : "http", u.Scheme));
        // … and the machine running the test has no address on that network.
        Assert.DoesNotContain($"10.231.{net.Subnet}.", (await Tool.RunAsync("ip", ["-o", "addr", "show"])).EnsureSuccess("ip addr").Stdout, StringComparison.Ordinal);

        // An ext4 file system written onto the primary from the agent's host, across the bridge.
        string original = await w.Ext4ImageAsync("original", new Dictionary<string, byte[]>
        {
            ["etc/app.conf"] = "threads=8\n"u8.ToArray(),
            ["etc/other.conf"] = "not asked for\n"u8.ToArray(),
            ["data/table.bin"] = RandomNumberGenerator.GetBytes(1 << 20),
        });
        string changed = await w.Ext4ImageAsync("changed", new Dictionary<string, byte[]> { ["etc/app.conf"] = "threads=1 # broken\n"u8.ToArray() });
        string portA = array.DataPorts[0];
        if (Tls)
        {
            // Plain NBD to a require port is refused before any export is named; the same LUN over TLS answers.
            var plain = await agentHost.RunAsync("nbdinfo", ["--size", $"nbd://{portA}/1"], Step);
            Assert.True(plain.ExitCode != 0, $"plain nbdinfo to the require port {portA} succeeded:\n{plain.Stdout}");
            Assert.Contains("TLS", plain.Stderr, StringComparison.OrdinalIgnoreCase);
            var secure = (await agentHost.RunAsync("nbdinfo", ["--size", w.LunUri(portA, 1)], Step)).EnsureSuccess("nbdinfo over TLS");
            Assert.Equal((64L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), secure.Stdout.Trim());
        }
        await w.NbdcopyAsync(agentHost, original, w.LunUri(portA, 1));
        string originalSha = await w.HashLunAsync(agentHost, portA, 1);

        // Definitions through the CLI on the server's host.
        await w.CliOkAsync(server, "definition", "create", "mh-mirror", "--host", Host, "--mount-point", MountPoint, "--kind", "mirror",
            "--device", DeviceId, "--volume", secondary.RequireNumber().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--label", "mh-mirror", "--pre", "freeze", "--post", "thaw");
        await w.CliOkAsync(server, "definition", "create", "mh-snap", "--host", Host, "--mount-point", MountPoint, "--kind", "snapshot",
            "--device", DeviceId, "--label", "mh-snap", "--keep", "2", "--pre", "gate", "--post", "thaw");

        // Mirror backup (FIG. 9) and volume restore from it (FIG. 12): the changed primary comes back byte-exact.
        File.WriteAllText(w.GateRelease, "");  // the gate hook of mh-snap passes at once until the link-cut part removes this
        Assert.Contains("succeeded", await w.CliOkAsync(server, "backup", "run", "mh-mirror", "--wait"));
        var mirror = Assert.Single(await w.BackupsAsync(server));
        Assert.Equal(("mirror", Host, DeviceId, secondary.RequireNumber().ToString(System.Globalization.CultureInfo.InvariantCulture)),
            (mirror.Kind, mirror.Host, mirror.DeviceId, mirror.MediaId));
        await w.NbdcopyAsync(agentHost, changed, w.LunUri(portA, 1));
        Assert.NotEqual(originalSha, await w.HashLunAsync(agentHost, portA, 1));
        await w.CliOkAsync(server, "backup", "restore", mirror.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--force", "--wait");
        Assert.Equal(originalSha, await w.HashLunAsync(agentHost, portA, 1));
        Assert.Equal(["freeze pre mh-mirror", "thaw post mh-mirror"], w.HookLines());

        // ---- The agent's link cut while the application is frozen ----
        // A freshly started agent holds no kept-alive connection to the array, so its next call there is a new
        // connection, which a host without a link refuses at once (ENETUNREACH). A kept-alive one would hear
        // nothing but silence until the client's timeout (100 s), as TCP does on any dead link.
        await agent.StopAsync();
        await agent.StartAsync();
        // (ss shows the agent's dual-mode sockets as [::ffff:10.231.X.2]:PORT.)
        string agentSockets = (await agentHost.RunAsync("ss", ["-Htn", "state", "established"])).EnsureSuccess("ss on the agent's host").Stdout;
        Assert.DoesNotMatch($@"{Regex.Escape(arrayHost.Address.ToString())}\]?:{array.ControlUrl.Port}\b", agentSockets);
        var volumesBefore = (await array.Client.ListVolumesAsync()).Select(v => v.Number).Order().ToArray();
        File.Delete(w.GateRelease);
        File.Delete(w.HookLog);

        var started = await w.CliJsonAsync<JobSnapshot>(server, "backup", "run", "mh-snap");
        // The preprocess hook runs on the agent's host and holds until the test lets it go: the backup is in flight.
        await Poll.UntilAsync(() => w.HookLines().Contains("gate pre mh-snap"), Step, "the gate preprocess of mh-snap to start");
        await agentHost.CutLinkAsync();
        File.WriteAllText(w.GateRelease, "");
        // The agent cannot reach the array to take the snapshot; FreezeScope runs the postprocess all the same.
        await Poll.UntilAsync(() => w.HookLines().Contains("thaw post mh-snap"), Step, "the thaw postprocess after the link cut");
        await agentHost.RestoreLinkAsync();

        // The server's own connection to the agent survived the cut (TCP retransmits) and reads how the agent's job ended.
        var failed = await server.WaitJobAsync(started.Id, Step);
        Assert.True(failed.State == JobState.Failed, $"the backup whose agent lost its link ended {failed.State}: {failed.ErrorCode} {failed.ErrorMessage}");
        Assert.Equal("array.unreachable", failed.ErrorCode);
        Assert.Contains($"could not reach the array at {array.ControlUrl}", failed.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("Network is unreachable", failed.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(["gate pre mh-snap", "thaw post mh-snap"], w.HookLines());
        // Nothing of it remains: no catalog row, no snapshot volume on the array.
        Assert.Equal([mirror.Id], (await w.BackupsAsync(server)).Select(b => b.Id));
        Assert.Equal(volumesBefore, (await array.Client.ListVolumesAsync()).Select(v => v.Number).Order().ToArray());

        // With the link back, the server reaches both peers again, and the same backup succeeds.
        var info = await w.CliJsonAsync<ServerInfo>(server, "server", "info");
        Assert.NotNull(info.Reachability);
        Assert.All(info.Reachability, p => Assert.True(p.Reachable, $"{p.Kind} {p.Name} at {p.Url}: {p.Error}"));
        Assert.Equal(2, info.Reachability.Count);
        Assert.Contains("succeeded", await w.CliOkAsync(server, "backup", "run", "mh-snap", "--wait"));
        var snap = Assert.Single(await w.BackupsAsync(server), b => b.Kind == "snapshot");

        // File restore (FIG. 13) of chosen files from that snapshot: restore port, nbdfuse and loop mount on the agent's host.
        await w.CliOkAsync(server, "backup", "restore", snap.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--files", "etc/app.conf", "--files", "data/*.bin", "--destination", w.Restored, "--wait");
        Assert.Equal("threads=8\n", File.ReadAllText(Path.Combine(w.Restored, "etc", "app.conf")));
        Assert.Equal(1 << 20, new FileInfo(Path.Combine(w.Restored, "data", "table.bin")).Length);
        Assert.False(File.Exists(Path.Combine(w.Restored, "etc", "other.conf")));
        Assert.DoesNotContain(File.ReadAllLines($"/proc/{agent.Process!.Pid}/mounts"), l => l.Contains(sys.Dir.Path, StringComparison.Ordinal));
    }

    /// <summary>
    /// With <see cref="Tls"/> on: one psktool-format key file, made now, with a line for the agent (its host name) and
    /// one for the test's own tools; every array's data ports <c>tls: require</c> with it, and every agent's entry for
    /// that array an <c>nbdTls</c> block naming it. Returns the tools' credentials (null: plain NBD).
    /// </summary>
    private static NbdClientTls? Secure(SnapcatSystem sys)
    {
        if (!Tls) return null;
        string pskFile = NbdTlsMaterial.WritePskFile(sys.Dir.Combine("nbd.psk"), [.. sys.Agents.Select(a => a.HostName), ToolIdentity]);
        foreach (var array in sys.Arrays)
        {
            array.DataPortOptions = array.DataPortOptions with { Tls = "require", PskFile = pskFile };
            foreach (var agent in sys.Agents)
                agent.ArrayNbdTls[array.DeviceId] = new NbdClientTlsConfig { PskFile = pskFile, Username = agent.HostName };
        }
        return NbdClientTls.Psk(ToolIdentity, PskKeyFile.ReadKey(pskFile, ToolIdentity)) with { PskFile = pskFile };
    }

    /// <summary>The test's files (hook script and log, images, restore destination) and its CLI and NBD steps.</summary>
    private sealed class World(SnapcatSystem sys)
    {
        public string HookScript => sys.Dir.Combine("hook.sh");
        /// <summary>One line per hook run: "NAME PHASE LABEL".</summary>
        public string HookLog => sys.Dir.Combine("hooks.log");
        /// <summary>While this file is missing, the "gate" hook holds its phase.</summary>
        public string GateRelease => sys.Dir.Combine("gate.release");
        public string Restored { get; } = Directory.CreateDirectory(sys.Dir.Combine("restored")).FullName;

        /// <summary>The credentials of the test's own libnbd tools; null: plain NBD.</summary>
        public NbdClientTls? ToolTls { get; set; }

        /// <summary>A LUN's URI for nbdcopy and nbdinfo: <c>nbds://mh-tools@HOST:PORT/LUN?tls-psk-file=F</c> with TLS.</summary>
        public string LunUri(string dataPort, uint lun) =>
            NbdToolUri.For(NbdAddress.Parse(dataPort), lun.ToString(System.Globalization.CultureInfo.InvariantCulture), ToolTls);

        public string[] HookLines() => File.Exists(HookLog) ? File.ReadAllLines(HookLog) : [];

        public Task WriteHookScriptAsync()
        {
            var text = $$"""
                #!/bin/sh
                echo "$1 $SNAPCAT_PHASE $SNAPCAT_LABEL" >> '{{HookLog}}'
                if [ "$1" = gate ]; then while [ ! -f '{{GateRelease}}' ]; do sleep 0.05; done; fi
                exit 0
                """;
            return File.WriteAllTextAsync(HookScript, text);
        }

        public async Task<string> Ext4ImageAsync(string name, IReadOnlyDictionary<string, byte[]> files)
        {
            string content = sys.Dir.Combine(name);
            Directory.CreateDirectory(content);
            foreach (var (path, bytes) in files)
            {
                string full = Path.Combine(content, path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                await File.WriteAllBytesAsync(full, bytes);
            }
            string image = sys.Dir.Combine(name + ".img");
            (await Tool.RunAsync("mke2fs", ["-q", "-F", "-t", "ext4", "-d", content, image, VolumeSize])).EnsureSuccess("mke2fs " + name);
            return image;
        }

        public async Task NbdcopyAsync(NetworkNamespace host, string from, string to) =>
            (await host.RunAsync("nbdcopy", [from, to], Step)).EnsureSuccess($"nbdcopy {from} {to} on {host}");

        /// <summary>SHA-256 of a LUN read with nbdcopy on <paramref name="host"/>.</summary>
        public async Task<string> HashLunAsync(NetworkNamespace host, string dataPort, uint lun)
        {
            string file = sys.Dir.Combine($"lun-{lun}-{Guid.NewGuid():N}.img");
            await NbdcopyAsync(host, LunUri(dataPort, lun), file);
            try
            {
                await using var f = File.OpenRead(file);
                return Convert.ToHexString(await SHA256.HashDataAsync(f));
            }
            finally
            {
                File.Delete(file);
            }
        }

        /// <summary>A CLI command run on the server's host against its configuration; must exit 0.</summary>
        public async Task<string> CliOkAsync(ServerNode server, params string[] args)
        {
            var r = await server.RunCliAsync([.. args, .. server.ConfigArgs], Step);
            Assert.True(r.ExitCode == 0, $"snapcat {string.Join(' ', args)} on {server.Namespace} exited {r.ExitCode}:\n{r.Stdout}\n{r.Stderr}");
            return r.Stdout;
        }

        public async Task<T> CliJsonAsync<T>(ServerNode server, params string[] args) =>
            JsonSerializer.Deserialize<T>(await CliOkAsync(server, [.. args, "-o", "json"]), ControlApiClient.Json)
            ?? throw new InvalidOperationException($"snapcat {string.Join(' ', args)} printed JSON null");

        public Task<BackupDto[]> BackupsAsync(ServerNode server) => CliJsonAsync<BackupDto[]>(server, "backup", "list");
    }
}
