using System.Globalization;
using Snapcat.Nbd;

namespace Snapcat.Agent.Config;

// The agent's configuration file (JSON, camelCase; comments and trailing commas allowed). The format,
// with an example, is described in docs/agent.md. Relative paths (tokenFile, stateDirectory,
// mountDirectory, restoreDestinations) are relative to the configuration file's folder.
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

    public string PendingThawDirectory => Path.Combine(StateDirectory, "pending-thaw");
    public string AttachDirectory => Path.Combine(StateDirectory, "attach");
}

public sealed record AgentControlConfig
{
    /// <summary>host:port the agent's HTTP API listens on.</summary>
    public string Listen { get; init; } = "";
    /// <summary>The bearer token; after loading it is set even when the file names a tokenFile.</summary>
    public string? Token { get; init; }
    public string? TokenFile { get; init; }
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

public sealed record ArrayEndpointConfig
{
    public string Url { get; init; } = "";
    public string? Token { get; init; }
    public string? TokenFile { get; init; }
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
