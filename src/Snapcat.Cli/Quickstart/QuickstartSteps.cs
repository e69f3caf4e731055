using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Snapcat.Nbd;
using Spectre.Console;

namespace Snapcat.Cli.Quickstart;

/// <summary>
/// The steps of <c>snapcat quickstart</c>, in order: the whole system on loopback — an array, a host
/// agent and a backup server — then a mirror and a snapshot backup, catalog loss and rebuild, and
/// restores. Each step is a named method so the list reads like the tour it gives. Split by concern:
/// this file sets the system up, <c>.Data</c> puts a file system on the primary, <c>.Backups</c> and
/// <c>.Restores</c> drive the server as the CLI would.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static partial class QuickstartSteps
{
    public const string VolumeSize = "32M";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(40);

    public static IReadOnlyList<QuickstartStep> All { get; } =
    [
        new("Write configurations for an array, an agent and a backup server", WriteConfigAsync),
        new("Start the array, the agent and the server (in parallel)", StartDaemonsAsync),
        new("Create a primary volume and a mirror secondary in its copy destination list", CreateVolumesAsync),
        new("Put an ext4 file system with a few files on the primary", WriteFileSystemAsync),
        new("Inquiry over TLS: nbdinfo nbds://… shows device ID and volume", InquiryAsync),
        new("Define a mirror backup and a snapshot backup on the server", DefineAsync),
        new("Run the mirror backup (FIG. 9)", RunMirrorAsync),
        new("Run the snapshot backup (FIG. 17)", RunSnapshotAsync),
        new("Show the catalog", ShowCatalogAsync),
        new("Lose the catalog: stop the server, delete catalog.db, start it again", LoseCatalogAsync),
        new("Rebuild the catalog from the array (FIG. 15)", RebuildAsync),
        new("Change a file on the primary", ChangeFileAsync),
        new("Restore the volume from the mirror backup (FIG. 12)", RestoreVolumeAsync),
        new("Restore one file from the snapshot backup into a directory (FIG. 13)", RestoreFileAsync),
        new("Where to go from here", NextStepsAsync),
    ];

    private static Task WriteConfigAsync(QuickstartContext c, CancellationToken ct)
    {
        c.DeviceId = "QUICKSTART-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(2));
        c.ArrayToken = NewToken();
        c.AgentToken = NewToken();
        c.ServerToken = NewToken();
        int[] ports = FreeLoopbackPorts(5);
        c.ArrayUrl = $"https://127.0.0.1:{ports[0]}";
        c.AgentUrl = $"https://127.0.0.1:{ports[1]}";
        c.ServerUrl = $"https://127.0.0.1:{ports[2]}";
        c.DataPort = $"127.0.0.1:{ports[3]}";
        c.RestorePort = $"127.0.0.1:{ports[4]}";
        QuickstartConfigs.Write(c);
        c.Note($"array  {c.DeviceId}: control {c.ArrayUrl}, NBD data ports {c.DataPort} (primary, LUN {QuickstartContext.PrimaryLun}) and {c.RestorePort} (restore port, LUN {QuickstartContext.RestoreLun})");
        c.Note($"agent  {QuickstartContext.Host}: control {c.AgentUrl}, protects {QuickstartContext.MountPoint}, hooks freeze/thaw → hooks.log");
        c.Note($"server: control {c.ServerUrl}, catalog SQLite catalog.db");
        c.Note($"files: {c.Directory}/{{array,agent,server}}.json, hooks.sh; TLS: {{array,agent,server}}.crt/.key, peers pin each fingerprint");
        c.Note($"NBD over TLS: both data ports \"tls\": \"require\" with PSK file {QuickstartContext.PskFileName} (users {QuickstartContext.Host} for the agent's nbdTls, {QuickstartContext.TourIdentity} for this tour)");
        c.Note($"server certificate SHA-256 {Snapcat.Core.Tls.CertificateFingerprint.Show(c.ServerCertificate!)}");
        return Task.CompletedTask;
    }

    private static async Task StartDaemonsAsync(QuickstartContext c, CancellationToken ct)
    {
        // .NET start-up dominates the run time, so the three daemons start at once; none needs
        // another to come up (the agent and the server reach the array only when asked to work).
        c.Array = DaemonChild.Start("array", c.ArrayConfigPath, c.Path("array.log"));
        c.Agent = DaemonChild.Start("agent", c.AgentConfigPath, c.Path("agent.log"));
        c.Server = DaemonChild.Start("server", c.ServerConfigPath, c.Path("server.log"));
        c.ArrayApi = new ArrayClient(new Uri(c.ArrayUrl), c.ArrayToken, TimeSpan.FromSeconds(30), c.ArrayTrust);
        c.ServerApi = new ServerClient(new Uri(c.ServerUrl), c.ServerToken, TimeSpan.FromSeconds(30), c.ServerTrust);
        using var agentProbe = new Snapcat.Contracts.Agent.AgentClient(new Uri(c.AgentUrl), c.AgentToken, TimeSpan.FromSeconds(5), c.AgentTrust);
        var array = c.ArrayApi;
        var server = c.ServerApi;
        await Task.WhenAll(
            WaitReadyAsync(c, c.Array, async () => $"device {(await array.GetArrayAsync(ct).ConfigureAwait(false)).DeviceId}", ct),
            WaitReadyAsync(c, c.Agent, async () =>
            {
                var info = await agentProbe.GetAgentAsync(ct).ConfigureAwait(false);
                return $"host {info.Host}";
            }, ct),
            WaitReadyAsync(c, c.Server, async () => $"catalog {(await server.GetServerAsync(ct).ConfigureAwait(false)).Catalog}", ct)).ConfigureAwait(false);
    }

    /// <summary>Polls a daemon until it answers: ready when it answers, not after a fixed delay.</summary>
    internal static async Task WaitReadyAsync(QuickstartContext c, DaemonChild child, Func<Task<string>> probe, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (child.HasExited)
                Throw.Remote($"quickstart.{child.Name}_exited",
                    $"the {child.Name} (pid {child.Pid}) exited with code {child.ExitCode} before its control API answered; {child.Name}.log:\n{child.LogTail()}");
            try
            {
                string what = await probe().ConfigureAwait(false);
                c.Note($"snapcat {child.Name} serve --config {child.Name}.json  (pid {child.Pid}, {what})");
                return;
            }
            catch (Exception ex) when (ex is SnapcatException or HttpRequestException or TaskCanceledException
                                       && DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }
    }

    private static async Task CreateVolumesAsync(QuickstartContext c, CancellationToken ct)
    {
        var array = c.RequireArray();
        c.Primary = (await array.CreateVolumeAsync(VolumeSize, ct).ConfigureAwait(false)).Number;
        c.Secondary = (await array.CreateVolumeAsync(VolumeSize, ct).ConfigureAwait(false)).Number;
        c.Note($"snapcat array volume create --size {VolumeSize}  -> primary {c.Primary}, secondary {c.Secondary}");
        await array.AssignAsync(c.Primary, c.DataPort, QuickstartContext.PrimaryLun, readOnly: false, ct).ConfigureAwait(false);
        c.Note($"snapcat array assign {c.Primary} --port {c.DataPort} --lun {QuickstartContext.PrimaryLun}  -> {c.NbdUri(QuickstartContext.PrimaryLun)} (the agent's {QuickstartContext.MountPoint})");
        await array.AddMirrorAsync(c.Primary, c.Secondary, ct).ConfigureAwait(false);
        c.Note($"snapcat array mirror add {c.Primary} {c.Secondary}  (volume {c.Secondary} joins {c.Primary}'s copy destination list, FIG. 8)");
    }

    private static async Task InquiryAsync(QuickstartContext c, CancellationToken ct)
    {
        string? nbdinfo = ExternalTool.Find("nbdinfo");
        if (nbdinfo is null)
        {
            c.Skip("nbdinfo is not installed (Debian package libnbd-bin)");
            return;
        }
        string uri = c.NbdUri(QuickstartContext.PrimaryLun);
        string output = await ExternalTool.RunCheckedAsync(nbdinfo, [uri], TimeSpan.FromSeconds(20), ct).ConfigureAwait(false);
        var lines = output.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var line = lines.FirstOrDefault(l => l.StartsWith("description:", StringComparison.Ordinal));
        string? description = line?["description:".Length..].Trim().Trim('"');
        if (!InquiryDescription.TryParse(description, out var inquiry) || inquiry!.DeviceId != c.DeviceId)
            Throw.Remote("quickstart.inquiry", $"nbdinfo did not show the array's device ID {c.DeviceId} in the export description");
        // nbdinfo names the protocol it negotiated; an nbds:// URI never falls back to plain text, and this says so.
        string? protocol = lines.FirstOrDefault(l => l.StartsWith("protocol:", StringComparison.Ordinal));
        if (protocol is null || !protocol.Contains("with TLS", StringComparison.Ordinal))
            Throw.Remote("quickstart.inquiry_tls", $"nbdinfo did not report a TLS session: {protocol ?? "no protocol line"}");
        c.Note($"nbdinfo '{uri}'");
        foreach (string shown in lines.Where(l => InquiryLines.Any(p => l.StartsWith(p, StringComparison.Ordinal))))
            c.Note("  " + shown);
    }

    /// <summary>The lines of nbdinfo's output the Inquiry step shows: the session, the export and the array's answer.</summary>
    private static readonly string[] InquiryLines = ["protocol:", "export=", "export-size:", "description:"];

    private static Task NextStepsAsync(QuickstartContext c, CancellationToken ct)
    {
        string dir = c.Directory;
        if (c.Keep)
        {
            c.Note("the daemons stop now; the directory stays. To continue with the CLI:");
            c.Note($"  cd {dir}");
            c.Note("  snapcat array serve --config array.json & snapcat agent serve --config agent.json & snapcat server serve --config server.json &");
            c.Note("  snapcat definition list --config server.json");
            c.Note($"  snapcat backup run {QuickstartContext.SnapshotDefinition} --wait --config server.json");
            c.Note("  snapcat backup list --config server.json");
            c.Note("  snapcat array volume list --config array.json");
            c.Note("(snapcat here is the ./snapcat script at the top of the repository, called by its full path)");
        }
        else
        {
            c.Note("run ./snapcat quickstart --keep to keep the configurations, logs, catalog and volumes and continue with the CLI");
        }
        return Task.CompletedTask;
    }

    private static string NewToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();

    /// <summary>Distinct free ports: every listener stays open until all are chosen, so none is handed out twice.</summary>
    private static int[] FreeLoopbackPorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var l = new TcpListener(IPAddress.Loopback, 0);
                listeners.Add(l);
                l.Start();
            }
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var l in listeners) l.Dispose();
        }
    }
}
