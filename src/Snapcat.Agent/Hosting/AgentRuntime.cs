using System.Collections.Concurrent;
using Snapcat.Agent.Attach;
using Snapcat.Agent.Config;
using Snapcat.Agent.Hooks;
using Snapcat.Nbd;
using Snapcat.Contracts.Array;

namespace Snapcat.Agent.Hosting;

/// <summary>
/// Everything the agent's flow handlers share: the configuration and its tables, the job registry,
/// the hook runner with its pending-thaw journal, the volume attacher, and array clients by device ID.
/// One instance per agent process; handlers take it in their constructor.
/// </summary>
public sealed partial class AgentRuntime : IDisposable
{
    private readonly ConcurrentDictionary<string, ArrayClient> _arrays = new(StringComparer.Ordinal);
    private readonly HashSet<RestorePortEntry> _restorePortsInUse = [];

    public AgentRuntime(AgentConfig config, IHookRunner? hooks = null, IVolumeAttacher? attacher = null, TimeProvider? time = null)
    {
        Config = config;
        Time = time ?? TimeProvider.System;
        HookRuns = new CountingHookRunner(hooks ?? new HookRunner(config));
        Hooks = HookRuns;
        Journal = new PendingThawJournal(config.PendingThawDirectory, Time);
        Freeze = new FreezeScope(Hooks, Journal);
        Attacher = attacher ?? new NbdFuseAttacher();
        Jobs = new JobRegistry(Time);
    }

    public AgentConfig Config { get; }
    public TimeProvider Time { get; }
    public IHookRunner Hooks { get; }
    /// <summary>The same runner as <see cref="Hooks"/>, with its run counts (/metrics).</summary>
    public CountingHookRunner HookRuns { get; }
    public PendingThawJournal Journal { get; }
    public FreezeScope Freeze { get; }
    public IVolumeAttacher Attacher { get; }
    public JobRegistry Jobs { get; }

    /// <summary>The port correspondence row (FIG. 3) of a mount point.</summary>
    public PortCorrespondenceEntry VolumeFor(string mountPoint)
    {
        var e = Config.PortCorrespondence.FirstOrDefault(p => p.MountPoint == mountPoint);
        if (e is null)
            Throw.NotFound("mount_point.unknown",
                $"mount point '{mountPoint}' is not in host {Config.HostName}'s port correspondence table; known: {string.Join(", ", Config.PortCorrespondence.Select(p => p.MountPoint))}");
        return e;
    }

    /// <summary>The control API of the array with this device ID (the device-ID → LAN-address table).</summary>
    public ArrayClient ArrayFor(string deviceId)
    {
        if (!Config.Arrays.TryGetValue(deviceId, out var endpoint))
            Throw.NotFound("array.unknown",
                $"host {Config.HostName} has no array with device ID '{deviceId}' in its configuration (arrays: {string.Join(", ", Config.Arrays.Keys)})");
        return _arrays.GetOrAdd(deviceId, _ =>
        {
            var url = new Uri(endpoint.Url);
            return new ArrayClient(url, endpoint.Token ?? "", trust: Snapcat.Core.Config.PeerTrustSource.Load(endpoint, url, $"arrays.{deviceId}"));
        });
    }

    /// <summary>
    /// Takes a free restore port/LUN (FIG. 13) of the array with this device ID, until the lease is
    /// disposed. A restore port belongs to one array: the one its configuration names (deviceId), or
    /// else the one whose control API lists its data port. A volume can only be assigned to a port of
    /// its own array, so a port of another array is never taken (issue 15.6).
    /// </summary>
    public async Task<RestorePortLease> AcquireRestorePortAsync(string deviceId, CancellationToken ct)
    {
        var ports = await RestorePortsOfAsync(deviceId, ct).ConfigureAwait(false);
        if (ports.Count == 0) NoRestorePortOn(deviceId);
        lock (_restorePortsInUse)
        {
            foreach (var p in ports)
                if (_restorePortsInUse.Add(p))
                    return new RestorePortLease(p, () => { lock (_restorePortsInUse) _restorePortsInUse.Remove(p); });
        }
        Throw.Conflict("restore_port.busy",
            $"all {ports.Count} restore port(s) of host {Config.HostName} on array {deviceId} are in use; wait for a file restore or stream to finish, or add restore ports");
        return null!;
    }

    /// <summary>Refuses (409 restore_port.none_on_array) an order for an array on which this host has no restore port.</summary>
    public async Task EnsureRestorePortOnAsync(string deviceId, CancellationToken ct)
    {
        if ((await RestorePortsOfAsync(deviceId, ct).ConfigureAwait(false)).Count == 0) NoRestorePortOn(deviceId);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void NoRestorePortOn(string deviceId) =>
        Throw.Conflict("restore_port.none_on_array",
            $"host {Config.HostName} has no restore port on array {deviceId}: its restore ports ({string.Join(", ", Config.RestorePorts.Select(p => $"{p.DataPort} LUN {p.Lun}"))}) " +
            $"are data ports of other arrays. Add a restorePorts entry with a data port of {deviceId}");

    /// <summary>The restore ports on the array with this device ID, in configuration order.</summary>
    public async Task<IReadOnlyList<RestorePortEntry>> RestorePortsOfAsync(string deviceId, CancellationToken ct)
    {
        var mine = Config.RestorePorts.Where(p => p.DeviceId == deviceId).ToList();
        var unnamed = Config.RestorePorts.Where(p => p.DeviceId is null).ToList();
        if (unnamed.Count == 0) return mine;
        var info = await ArrayFor(deviceId).GetArrayAsync(ct).ConfigureAwait(false);
        var listens = new List<NbdAddress>();
        foreach (var d in info.DataPorts)
            if (NbdAddress.TryParse(d.Address, out var a)) listens.Add(a);
        foreach (var p in unnamed)
        {
            var address = p.DataPortAddress;
            if (listens.Any(l => Reaches(l, address)))
                mine.Add(p);
        }
        return Config.RestorePorts.Where(mine.Contains).ToList();
    }

    /// <summary>
    /// After the array assigned a volume to a restore port: the Inquiry there must name that array and
    /// volume, or the port is not where the configuration says (and the agent would read another volume).
    /// </summary>
    public async Task VerifyAssignedAsync(RestorePortEntry port, string deviceId, uint volume, CancellationToken ct)
    {
        var seen = await Handlers.InquiryHandler.InquireAsync(port.DataPortAddress, checked((uint)port.Lun), NbdOptionsFor(deviceId), ct).ConfigureAwait(false);
        if (seen.DeviceId != deviceId || seen.Volume != volume)
            Throw.Conflict("restore_port.wrong_array",
                $"restore port {port.DataPort} LUN {port.Lun} should now show volume {volume} of array {deviceId}, but its Inquiry answers volume {seen.Volume} of array {seen.DeviceId}; " +
                "check the restorePorts entry (its deviceId and dataPort)");
    }

    private static bool IsWildcard(string host) => host is "0.0.0.0" or "::" or "[::]" or "*" or "";

    /// <summary>Whether an array listening on <paramref name="listen"/> is what <paramref name="address"/> reaches.</summary>
    private static bool Reaches(NbdAddress listen, NbdAddress address) =>
        // An array listening on a wildcard address is reached under some other host name: match the port.
        listen == address || (IsWildcard(listen.Host) && listen.Port == address.Port);

    public bool IsRestorePortInUse(RestorePortEntry p)
    {
        lock (_restorePortsInUse) return _restorePortsInUse.Contains(p);
    }

    public void Dispose()
    {
        foreach (var c in _arrays.Values) c.Dispose();
    }
}

/// <summary>A restore port/LUN held by one flow; disposing gives it back.</summary>
public sealed class RestorePortLease(RestorePortEntry port, Action release) : IDisposable
{
    private Action? _release = release;

    public RestorePortEntry Port { get; } = port;

    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}
