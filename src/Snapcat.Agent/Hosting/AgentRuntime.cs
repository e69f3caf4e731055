using System.Collections.Concurrent;
using Snapcat.Agent.Attach;
using Snapcat.Agent.Config;
using Snapcat.Agent.Hooks;
using Snapcat.Array.Api;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;

namespace Snapcat.Agent.Hosting;

/// <summary>
/// Everything the agent's flow handlers share: the configuration and its tables, the job registry,
/// the hook runner with its pending-thaw journal, the volume attacher, and array clients by device ID.
/// One instance per agent process; handlers take it in their constructor.
/// </summary>
public sealed class AgentRuntime : IDisposable
{
    private readonly ConcurrentDictionary<string, ArrayClient> _arrays = new(StringComparer.Ordinal);
    private readonly HashSet<RestorePortEntry> _restorePortsInUse = [];

    public AgentRuntime(AgentConfig config, IHookRunner? hooks = null, IVolumeAttacher? attacher = null, TimeProvider? time = null)
    {
        Config = config;
        Time = time ?? TimeProvider.System;
        Hooks = hooks ?? new HookRunner(config);
        Journal = new PendingThawJournal(config.PendingThawDirectory, Time);
        Freeze = new FreezeScope(Hooks, Journal);
        Attacher = attacher ?? new NbdFuseAttacher();
        Jobs = new JobRegistry(Time);
    }

    public AgentConfig Config { get; }
    public TimeProvider Time { get; }
    public IHookRunner Hooks { get; }
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
        return _arrays.GetOrAdd(deviceId, _ => new ArrayClient(new Uri(endpoint.Url), endpoint.Token ?? ""));
    }

    /// <summary>Takes a free restore port/LUN (FIG. 13) until the lease is disposed.</summary>
    public RestorePortLease AcquireRestorePort()
    {
        lock (_restorePortsInUse)
        {
            foreach (var p in Config.RestorePorts)
                if (_restorePortsInUse.Add(p))
                    return new RestorePortLease(p, () => { lock (_restorePortsInUse) _restorePortsInUse.Remove(p); });
        }
        Throw.Conflict("restore_port.busy",
            $"all {Config.RestorePorts.Count} restore port(s) of host {Config.HostName} are in use; wait for a file restore or stream to finish, or add restore ports");
        return null!;
    }

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
