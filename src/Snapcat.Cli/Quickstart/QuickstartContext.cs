using Spectre.Console;
using Spectre.Console.Rendering;

namespace Snapcat.Cli.Quickstart;

/// <summary>
/// What the quickstart steps share: the temporary directory, the addresses and tokens of the three
/// daemons, the daemons themselves (children of this process) and what the steps created.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QuickstartContext(CliConsole console, string directory, bool keep)
{
    public const string Host = "quickstart-host";
    public const string MountPoint = "/srv/quickstart";
    public const string MirrorDefinition = "qs-mirror";
    public const string SnapshotDefinition = "qs-snapshot";
    public const uint PrimaryLun = 1;
    public const uint RestoreLun = 7;
    /// <summary>The psktool-format key file both data ports and every NBD client of the tour use.</summary>
    public const string PskFileName = "nbd.psk";
    /// <summary>The PSK username of this process's own NBD connections and tools (the agent uses <see cref="Host"/>).</summary>
    public const string TourIdentity = "quickstart";

    private readonly List<IRenderable> _details = [];

    public CliConsole Console { get; } = console;
    public string Directory { get; } = directory;
    public bool Keep { get; } = keep;
    public string Path(string name) => System.IO.Path.Combine(Directory, name);
    public string ArrayConfigPath => Path("array.json");
    public string AgentConfigPath => Path("agent.json");
    public string ServerConfigPath => Path("server.json");
    public string CatalogPath => Path("catalog.db");
    public string HookLogPath => Path("hooks.log");
    public string PskFilePath => Path(PskFileName);

    public string DeviceId { get; set; } = "";
    public string ArrayToken { get; set; } = "";
    public string AgentToken { get; set; } = "";
    public string ServerToken { get; set; } = "";
    public string ArrayUrl { get; set; } = "";
    public string AgentUrl { get; set; } = "";
    public string ServerUrl { get; set; } = "";
    /// <summary>Each daemon's control API certificate (written beside its configuration as NAME.crt/NAME.key); peers pin them.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ArrayCertificate { get; set; }
    public System.Security.Cryptography.X509Certificates.X509Certificate2? AgentCertificate { get; set; }
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ServerCertificate { get; set; }
    public Snapcat.Core.Tls.PeerTrust? ArrayTrust => ArrayCertificate is { } x ? Snapcat.Core.Tls.PeerTrust.Pin(x) : null;
    public Snapcat.Core.Tls.PeerTrust? AgentTrust => AgentCertificate is { } x ? Snapcat.Core.Tls.PeerTrust.Pin(x) : null;
    public Snapcat.Core.Tls.PeerTrust? ServerTrust => ServerCertificate is { } x ? Snapcat.Core.Tls.PeerTrust.Pin(x) : null;
    /// <summary>The data port of the primary volume (LUN 1).</summary>
    public string DataPort { get; set; } = "";
    /// <summary>The data port the agent's restore port table reserves (LUN 7) for file restores.</summary>
    public string RestorePort { get; set; } = "";

    public DaemonChild? Array { get; set; }
    public DaemonChild? Agent { get; set; }
    public DaemonChild? Server { get; set; }
    public ArrayClient? ArrayApi { get; set; }
    public ServerClient? ServerApi { get; set; }

    public uint Primary { get; set; }
    public uint Secondary { get; set; }
    /// <summary>Whether the primary holds an ext4 file system (mke2fs and nbdcopy present) or plain data.</summary>
    public bool Ext4 { get; set; }
    public long MirrorBackupId { get; set; }
    public long SnapshotBackupId { get; set; }
    public IReadOnlyList<BackupDto> CatalogBeforeLoss { get; set; } = [];

    /// <summary>The definitions before the catalog is deleted; the rebuild must give them back from the state copy.</summary>
    public IReadOnlyList<DefinitionDto> DefinitionsBeforeLoss { get; set; } = [];

    public ArrayClient RequireArray() => ArrayApi ?? throw new InvalidOperationException("the array has not been started");
    public ServerClient RequireServer() => ServerApi ?? throw new InvalidOperationException("the server has not been started");

    /// <summary>The PSK credentials of this process's own NBD connections (set when the configurations are written).</summary>
    public Snapcat.Nbd.Client.NbdClientTls? NbdTls { get; set; }

    /// <summary>Options for Snapcat's NbdClient: TLS with <see cref="NbdTls"/>, as the data ports require.</summary>
    public Snapcat.Nbd.Client.NbdClientOptions NbdOptions => new() { Tls = NbdTls ?? throw new InvalidOperationException("the NBD credentials have not been written") };

    /// <summary>The URI libnbd's tools (nbdinfo, nbdcopy) open: <c>nbds://quickstart@host:port/LUN?tls-psk-file=…</c>.</summary>
    public string NbdUri(uint lun) =>
        Snapcat.Nbd.Client.NbdToolUri.For(Snapcat.Nbd.NbdAddress.Parse(DataPort), lun.ToString(System.Globalization.CultureInfo.InvariantCulture), NbdTls);

    /// <summary>The daemons still running, last started first: the order they are stopped in.</summary>
    public IEnumerable<DaemonChild> Children() => new[] { Server, Agent, Array }.OfType<DaemonChild>();

    /// <summary>A line printed under the step's check mark.</summary>
    public void Note(string text) => Show(new Text("  " + text + "\n"));

    /// <summary>Thread-safe: the daemons' readiness is reported from parallel probes.</summary>
    public void Show(IRenderable renderable)
    {
        lock (_details) _details.Add(renderable);
    }

    /// <summary>Ends the step without failing the run; the reason is printed instead of a check mark.</summary>
    public void Skip(string reason) => throw new QuickstartSkipped(reason);

    internal List<IRenderable> TakeDetails()
    {
        lock (_details)
        {
            var copy = _details.ToList();
            _details.Clear();
            return copy;
        }
    }
}

public sealed class QuickstartSkipped(string reason) : Exception(reason);
