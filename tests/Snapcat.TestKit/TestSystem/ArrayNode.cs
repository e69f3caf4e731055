using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Snapcat.Array.Config;
using Snapcat.Contracts.Array;
using Snapcat.Core.Config;

namespace Snapcat.TestKit.TestSystem;

/// <summary>
/// A disk array of a <see cref="SnapcatSystem"/> (<c>snapcat array serve</c>). Its data ports bind port 0
/// at the first start; <see cref="DataPorts"/> then holds the real addresses, which agents' configurations
/// name. Volumes declared with <see cref="AddVolume"/> are created and assigned at the first start.
/// </summary>
[SupportedOSPlatform("linux")]  // a system may hold agents, which run on Linux only (FUSE, process groups)
public sealed partial class ArrayNode : DaemonNode
{
    public const string DefaultToken = "test-array-token-7f3a";
    private readonly List<VolumeSpec> _volumes = [];
    private string[]? _dataPorts;
    private ArrayClient? _client;

    internal ArrayNode(SnapcatSystem system, string deviceId) : base(system, deviceId, "array", DefaultToken)
    {
    }

    public string DeviceId => Name;

    /// <summary>How many NBD data ports (port A, port B, …); two by default: one for hosts, one for restore ports.</summary>
    public int DataPortCount { get; set; } = 2;

    /// <summary>Options given to every data port (handshake timeout, connections per peer); its listen address is the builder's.</summary>
    public DataPortConfig DataPortOptions { get; set; } = new() { Listen = "" };

    /// <summary>The data directory as the file names it: relative to <see cref="DaemonNode.Dir"/> by default, or absolute.</summary>
    public string DataDirectory { get; set; } = "data";

    public string DataPath => Path.GetFullPath(DataDirectory, Dir);

    /// <summary>Arrays this one may copy volumes to (FIG. 19); each must have started before this one.</summary>
    public List<ArrayNode> Peers { get; } = [];

    /// <summary>A last change to the configuration record before it is written (anything the builder does not name).</summary>
    public Func<ArrayConfig, ArrayConfig>? Edit { get; set; }

    /// <summary>The real data port addresses (host:port), in configuration order.</summary>
    public IReadOnlyList<string> DataPorts => _dataPorts ?? throw NotStarted();

    public DataPortRef Port(int index) => new(this, index);

    public ArrayClient Client => _client ??= Namespace is null
        ? new ArrayClient(ControlUrl, Token, TimeSpan.FromSeconds(60), Trust)
        : new ArrayClient(NamespacedHttpClient(), ControlUrl, Token, ownsHttp: true);

    /// <summary>A typed client with a credential added by <see cref="WithCredential"/> or <see cref="WithAgentCredential"/> (dispose it).</summary>
    public ArrayClient ClientAs(string credential) => new(ControlUrl, TokenOf(credential), TimeSpan.FromSeconds(60), Trust);

    /// <summary>Adds a named credential ("admin", "read-only"); fluent.</summary>
    public ArrayNode WithCredential(string name, string role)
    {
        AddCredential(name, role);
        return this;
    }

    /// <summary>
    /// An agent credential limited to <paramref name="volumes"/> (evaluated when the configuration is written, so
    /// volume specs created at the first start work after a restart) and to the given restore ports.
    /// </summary>
    public ArrayNode WithAgentCredential(string name, Func<IReadOnlyList<uint>> volumes, Func<IReadOnlyList<string>>? luns = null,
        Func<IReadOnlyList<string>>? restorePorts = null)
    {
        // Before the first start neither the volumes nor the data ports exist: the credential is left out until then.
        AddCredential(name, "agent", c => !HasStarted || Volumes.Any(v => v.Number is null) ? null : c with
        {
            Volumes = volumes(),
            Luns = luns?.Invoke(),
            RestorePorts = restorePorts?.Invoke(),
        });
        return this;
    }

    public override string AuditFilePath => Path.GetFullPath(AuditFile ?? Path.Combine(DataDirectory, "audit.log"), Dir);

    public IReadOnlyList<VolumeSpec> Volumes => _volumes;

    /// <summary>A volume created at the first start, assigned to <paramref name="port"/> at <paramref name="lun"/> when given.</summary>
    public VolumeSpec AddVolume(string size, int? port = null, uint lun = 0, bool readOnly = false, VolumeSpec? mirrorOf = null)
    {
        var v = new VolumeSpec(this, size, port, lun, readOnly, mirrorOf);
        _volumes.Add(v);
        return v;
    }

    public ArrayConfig BuildConfig()
    {
        var ports = Enumerable.Range(0, DataPortCount)
            .Select(i => DataPortOptions with { Listen = _dataPorts is null ? $"{ListenHost}:0" : _dataPorts[i] })
            .ToList();
        var peers = Peers.ToDictionary(p => p.DeviceId,
            p => p.HasStarted
                ? new PeerArrayConfig { Url = p.ControlUrl.ToString(), Token = p.Token, Fingerprint = p.Fingerprint }
                : throw new InvalidOperationException($"array {DeviceId} names peer {p.DeviceId}, which has not started yet; start peers first"));
        var config = new ArrayConfig
        {
            DeviceId = DeviceId,
            DataDirectory = DataDirectory,
            Control = new ControlEndpointConfig { Listen = ControlListen, Token = Token, Credentials = CredentialConfigs(), AuditFile = AuditFile, Tls = ControlTls, Insecure = Insecure },
            DataPorts = ports,
            Peers = peers,
        };
        return Edit is null ? config : Edit(config);
    }

    protected override string ReadyPrefix => $"snapcat array {DeviceId} ready:";

    protected override void WriteConfig() => ConfigFile.Write(ConfigPath, BuildConfig());

    protected override void OnReady(string readyLine)
    {
        var m = DataPortsInReadyLine().Match(readyLine);
        if (!m.Success) throw new InvalidOperationException($"array {DeviceId}: no data ports in its ready line: {readyLine}");
        string[] ports = m.Groups[1].Value.Split(", ", StringSplitOptions.RemoveEmptyEntries);
        if (_dataPorts is not null && !ports.SequenceEqual(_dataPorts))
            throw new InvalidOperationException($"array {DeviceId} came back on data ports {string.Join(", ", ports)}, not {string.Join(", ", _dataPorts)}");
        _dataPorts = ports;
    }

    /// <summary>Creates the declared volumes that do not exist yet, with their assignments and mirror pairs.</summary>
    protected override async Task OnStartedAsync()
    {
        foreach (var v in _volumes.Where(v => v.Number is null))
        {
            v.Number = (await Client.CreateVolumeAsync(v.Size)).Number;
            if (v.PortIndex is int port) await Client.AssignAsync(v.Number.Value, DataPorts[port], v.Lun, v.ReadOnly);
            if (v.MirrorOf is { } primary) await Client.AddMirrorAsync(primary.RequireNumber(), v.Number.Value);
        }
    }

    protected override void DisposeClients() => _client?.Dispose();

    [GeneratedRegex(@"data ports (.+)$")]
    private static partial Regex DataPortsInReadyLine();
}

/// <summary>A data port of an array, by position; its address is known once the array has started.</summary>
[SupportedOSPlatform("linux")]  // a system may hold agents, which run on Linux only (FUSE, process groups)
public sealed record DataPortRef(ArrayNode Array, int Index)
{
    public string Address => Array.DataPorts[Index];

    public string NbdUri(uint lun) => $"nbd://{Address}/{lun}";

    public Task<Snapcat.Nbd.Client.NbdClient> ConnectAsync(uint lun) => LunData.ConnectAsync(Address, lun);

    public Task<byte[]> FillAsync(uint lun, long size, int seed) => LunData.FillAsync(Address, lun, size, seed);

    public Task<string> HashLunAsync(uint lun) => LunData.HashLunAsync(Address, lun);

    public Task<string> NbdcopyHashAsync(uint lun) => LunData.NbdcopyHashAsync(Address, lun, Array.Dir);

    public override string ToString() => Address;
}

/// <summary>A volume an array creates at its first start; <see cref="Number"/> is set then.</summary>
[SupportedOSPlatform("linux")]  // a system may hold agents, which run on Linux only (FUSE, process groups)
public sealed class VolumeSpec(ArrayNode array, string size, int? portIndex, uint lun, bool readOnly, VolumeSpec? mirrorOf)
{
    public ArrayNode Array { get; } = array;
    public string Size { get; } = size;
    public int? PortIndex { get; } = portIndex;
    public uint Lun { get; } = lun;
    public bool ReadOnly { get; } = readOnly;
    /// <summary>The primary whose copy destination list this volume joins as a mirror secondary.</summary>
    public VolumeSpec? MirrorOf { get; } = mirrorOf;
    public uint? Number { get; internal set; }

    public uint RequireNumber() => Number ?? throw new InvalidOperationException($"a {Size} volume of array {Array.DeviceId} is not created yet; start the array first");

    /// <summary>The port it is assigned to (null when not assigned).</summary>
    public DataPortRef? Port => PortIndex is int i ? Array.Port(i) : null;
}
