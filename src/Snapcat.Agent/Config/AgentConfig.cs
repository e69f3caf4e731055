using System.Globalization;
using System.Text.Json.Serialization;
using Snapcat.Core.Config;
using Snapcat.Core.Security;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;

namespace Snapcat.Agent.Config;

// The agent's configuration file (JSON, camelCase; comments and trailing commas allowed). The format,
// with an example, is described in docs/agent.md. Relative paths (tokenFile, stateDirectory,
// mountDirectory, restoreDestinations, the files of arrays.*.nbdTls) are relative to the configuration file's folder.
//
// Every property has a harmless default so that a file with several mistakes deserialises and
// AgentConfigValidator can list all of them at once instead of stopping at the first.

public sealed record AgentConfig
{
    /// <summary>This host's name as recorded in volume information (≤ 64 bytes, FIG. 5 "host").</summary>
    public string HostName { get; init; } = "";

    public AgentControlConfig Control { get; init; } = new();

    /// <summary>Where the agent keeps durable state: the pending-thaw journal and FUSE attach points.</summary>
    public string StateDirectory { get; init; } = "";

    /// <summary>The port correspondence table (FIG. 3): one row per protected volume.</summary>
    public IReadOnlyList<PortCorrespondenceEntry> PortCorrespondence { get; init; } = [];

    /// <summary>The restore port table: port/LUN pairs reserved for attaching backup volumes (FIG. 13).</summary>
    public IReadOnlyList<RestorePortEntry> RestorePorts { get; init; } = [];

    /// <summary>
    /// Directories a file restore may copy into (each with its subdirectories), besides the protected
    /// mount points of <see cref="PortCorrespondence"/>. Relative paths are resolved like the others. A server can name any destination
    /// in an order; the host decides which ones it accepts.
    /// </summary>
    public IReadOnlyList<string> RestoreDestinations { get; init; } = [];

    /// <summary>Device ID → control URL and token (the description's device-ID → LAN-address table).</summary>
    public IReadOnlyDictionary<string, ArrayEndpointConfig> Arrays { get; init; } = new Dictionary<string, ArrayEndpointConfig>();

    /// <summary>Named hooks the server may ask for by name.</summary>
    public IReadOnlyDictionary<string, HookConfig> Hooks { get; init; } = new Dictionary<string, HookConfig>();

    /// <summary>Whether a server may send raw command text instead of a hook name. Off unless the host says so.</summary>
    public bool AllowRawCommands { get; init; }

    /// <summary>Optional: <c>{ "format": "simple" | "systemd" | "json", "level": "information" }</c> (docs/logging.md).</summary>
    public LoggingConfig? Logging { get; init; }

    /// <summary>
    /// The control API's credentials as the loader read them (control.token and control.credentials, token files read):
    /// the backup server's (admin) and optionally a read-only one for monitoring. Not part of the file.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<Credential> ControlCredentials { get; init; } = [];

    /// <summary>control.auditFile resolved, default audit.log in <see cref="StateDirectory"/>.</summary>
    [JsonIgnore]
    public string AuditFilePath => string.IsNullOrWhiteSpace(Control.AuditFile) ? Path.Combine(StateDirectory, "audit.log") : Control.AuditFile;

    public string PendingThawDirectory => Path.Combine(StateDirectory, "pending-thaw");
    public string AttachDirectory => Path.Combine(StateDirectory, "attach");
}

public sealed record AgentControlConfig : ControlListenerConfig
{
    /// <summary>host:port the agent's HTTP API listens on.</summary>
    public string Listen { get; init; } = "";

    /// <summary>The HTTPS files once the loader made them absolute; null: plain HTTP (<c>"insecure": true</c>).</summary>
    public Snapcat.Core.Tls.ControlTls? ServedTls =>
        !Insecure && Tls is { CertificateFile: { Length: > 0 } c, KeyFile: { Length: > 0 } k } ? new Snapcat.Core.Tls.ControlTls(c, k) : null;
}

/// <summary>A row of FIG. 3: mount point 171, device file 172, FC port address 173 (here an NBD data port), LUN 174.</summary>
public sealed record PortCorrespondenceEntry
{
    public string MountPoint { get; init; } = "";
    public string DeviceFile { get; init; } = "";
    public string DataPort { get; init; } = "";
    /// <summary>−1 when the file leaves it out (reported by the validator).</summary>
    public long Lun { get; init; } = -1;

    public NbdAddress DataPortAddress => NbdAddress.Parse(DataPort);
    public string ExportName => Lun.ToString(CultureInfo.InvariantCulture);
    public string NbdUri => DataPortAddress.Uri(ExportName);
}

/// <summary>A port/LUN pair an array may assign a backup volume to for file restore, and where it is mounted.</summary>
public sealed record RestorePortEntry
{
    public string DataPort { get; init; } = "";
    public long Lun { get; init; } = -1;
    public string MountDirectory { get; init; } = "";
    /// <summary>
    /// The array this data port belongs to. Optional: when left out, the agent asks the arrays'
    /// control APIs which of them lists the data port.
    /// </summary>
    public string? DeviceId { get; init; }

    public NbdAddress DataPortAddress => NbdAddress.Parse(DataPort);
    public string ExportName => Lun.ToString(CultureInfo.InvariantCulture);
    public string NbdUri => DataPortAddress.Uri(ExportName);
}

public sealed record ArrayEndpointConfig : PeerEndpointConfig
{
    public string Url { get; init; } = "";

    /// <summary>
    /// TLS for this array's data ports (NBD STARTTLS): <c>{ "pskFile": "nbd.psk", "username": "host1" }</c>
    /// or <c>{ "caFile": …, "fingerprint": …, "certificateFile": …, "keyFile": … }</c>. Left out: plain NBD.
    /// Per array, since each array's data ports may hold other keys.
    /// </summary>
    public NbdClientTlsConfig? NbdTls { get; init; }

    /// <summary>What <see cref="NbdTls"/> resolved to at load (keys and certificates read); never in the file.</summary>
    [JsonIgnore]
    public NbdClientTls? NbdTlsCredentials { get; init; }
}

/// <summary>
/// A named hook: a program run directly (no shell unless <see cref="Command"/> is one), its arguments,
/// a timeout after which its whole process tree is killed, and extra environment variables.
/// </summary>
public sealed record HookConfig
{
    /// <summary>Absolute path of the program, so that PATH cannot change what runs.</summary>
    public string Command { get; init; } = "";
    public IReadOnlyList<string> Args { get; init; } = [];
    public int TimeoutSeconds { get; init; } = 300;
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);
}
