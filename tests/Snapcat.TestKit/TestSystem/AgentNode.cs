using System.Runtime.Versioning;
using Snapcat.Agent.Config;
using Snapcat.Contracts.Agent;
using Snapcat.Core.Config;
using Snapcat.Nbd.Client;

namespace Snapcat.TestKit.TestSystem;

/// <summary>
/// A host agent of a <see cref="SnapcatSystem"/> (<c>snapcat agent serve</c>). Its port correspondence
/// table and restore ports name arrays' data ports by <see cref="DataPortRef"/>; the configuration is
/// written at each start, so those arrays must have started before the agent.
/// </summary>
[SupportedOSPlatform("linux")]  // a system may hold agents, which run on Linux only (FUSE, process groups)
public sealed class AgentNode : DaemonNode
{
    public const string DefaultToken = "test-agent-token-8c2e";
    private readonly List<(string MountPoint, string DeviceFile, Func<string> Port, uint Lun)> _protected = [];
    private readonly List<(Func<string> Port, uint Lun, string MountDirectory, string? DeviceId)> _restorePorts = [];
    private AgentClient? _client;

    internal AgentNode(SnapcatSystem system, string hostName) : base(system, hostName, "agent", DefaultToken)
    {
    }

    public string HostName => Name;

    /// <summary>Named hooks (FIG. 7's preprocess/postprocess commands).</summary>
    public Dictionary<string, HookConfig> Hooks { get; } = new(StringComparer.Ordinal);

    /// <summary>Directories a file restore may copy into; relative ones resolve against <see cref="DaemonNode.Dir"/>.</summary>
    public List<string> RestoreDestinations { get; } = [];

    public bool AllowRawCommands { get; set; }

    /// <summary>The arrays this agent knows (device ID → control API); null: every array of the system that has started.</summary>
    public List<ArrayNode>? Arrays { get; set; }

    public string StateDirectory { get; set; } = "state";

    public Func<AgentConfig, AgentConfig>? Edit { get; set; }

    public AgentClient Client => _client ??= Namespace is null
        ? new AgentClient(ControlUrl, Token, TimeSpan.FromSeconds(60), Trust)
        : new AgentClient(NamespacedHttpClient(), ControlUrl, Token, ownsHttp: true);

    /// <summary>A typed client with a credential added by <see cref="WithCredential"/> (dispose it).</summary>
    public AgentClient ClientAs(string credential) => new(ControlUrl, TokenOf(credential), TimeSpan.FromSeconds(60), Trust);

    /// <summary>Adds a named credential ("admin", "read-only"); fluent.</summary>
    public AgentNode WithCredential(string name, string role)
    {
        AddCredential(name, role);
        return this;
    }

    /// <summary>Device ID → the name of the array credential this agent uses (default: the array's admin token).</summary>
    public Dictionary<string, string> ArrayCredentials { get; } = new(StringComparer.Ordinal);

    /// <summary>Makes the agent call <paramref name="array"/> with that array's credential <paramref name="credential"/>.</summary>
    public AgentNode UseArrayCredential(ArrayNode array, string credential)
    {
        ArrayCredentials[array.DeviceId] = credential;
        return this;
    }

    /// <summary>Device ID → the <c>nbdTls</c> block of that array's entry (TLS towards its data ports); none: plain NBD.</summary>
    public Dictionary<string, NbdClientTlsConfig> ArrayNbdTls { get; } = new(StringComparer.Ordinal);

    public override string AuditFilePath => Path.GetFullPath(AuditFile ?? Path.Combine(StateDirectory, "audit.log"), Dir);

    /// <summary>A row of the port correspondence table (FIG. 3).</summary>
    public AgentNode Protect(string mountPoint, string deviceFile, DataPortRef port, uint lun)
    {
        _protected.Add((mountPoint, deviceFile, () => port.Address, lun));
        return this;
    }

    /// <summary>A row naming a data port address outright (e.g. one no array serves).</summary>
    public AgentNode Protect(string mountPoint, string deviceFile, string dataPort, uint lun)
    {
        _protected.Add((mountPoint, deviceFile, () => dataPort, lun));
        return this;
    }

    /// <summary>A restore port (FIG. 13); <paramref name="namesDevice"/> writes the array's device ID into the row.</summary>
    public AgentNode AddRestorePort(DataPortRef port, uint lun, string mountDirectory, bool namesDevice = false)
    {
        _restorePorts.Add((() => port.Address, lun, mountDirectory, namesDevice ? port.Array.DeviceId : null));
        return this;
    }

    /// <summary>A hook that runs <paramref name="command"/> with <paramref name="args"/>.</summary>
    public AgentNode AddHook(string name, string command, IReadOnlyList<string> args, int timeoutSeconds = 300)
    {
        Hooks[name] = new HookConfig { Command = command, Args = args, TimeoutSeconds = timeoutSeconds };
        return this;
    }

    public AgentConfig BuildConfig()
    {
        var arrays = (Arrays ?? Parent.Arrays.Where(a => a.HasStarted).ToList())
            .ToDictionary(a => a.DeviceId, a => new ArrayEndpointConfig
            {
                Url = a.ControlUrl.ToString(),
                Token = ArrayCredentials.TryGetValue(a.DeviceId, out var credential) ? a.TokenOf(credential) : a.Token,
                Fingerprint = a.Fingerprint,
                NbdTls = ArrayNbdTls.GetValueOrDefault(a.DeviceId),
            });
        var config = new AgentConfig
        {
            HostName = HostName,
            Control = new AgentControlConfig { Listen = ControlListen, Token = Token, Credentials = CredentialConfigs(), AuditFile = AuditFile, Tls = ControlTls, Insecure = Insecure },
            StateDirectory = StateDirectory,
            PortCorrespondence = _protected
                .Select(p => new PortCorrespondenceEntry { MountPoint = p.MountPoint, DeviceFile = p.DeviceFile, DataPort = p.Port(), Lun = p.Lun })
                .ToList(),
            RestorePorts = _restorePorts
                .Select(r => new RestorePortEntry { DataPort = r.Port(), Lun = r.Lun, MountDirectory = r.MountDirectory, DeviceId = r.DeviceId })
                .ToList(),
            RestoreDestinations = RestoreDestinations.ToList(),
            Arrays = arrays,
            Hooks = new Dictionary<string, HookConfig>(Hooks, StringComparer.Ordinal),
            AllowRawCommands = AllowRawCommands,
        };
        return Edit is null ? config : Edit(config);
    }

    protected override string ReadyPrefix => $"snapcat agent {HostName} ready:";

    protected override void WriteConfig() => ConfigFile.Write(ConfigPath, BuildConfig());

    protected override void DisposeClients() => _client?.Dispose();
}
