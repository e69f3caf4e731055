using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Snapcat.Array.ManagementTable;
using Snapcat.Array.Volumes;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Security;

namespace Snapcat.Array.Api;

/// <summary>
/// What an agent credential (<see cref="CredentialRole.Agent"/>) may reach on this array: the host's volumes
/// (<c>volumes</c>, and those assigned at <c>luns</c>), their copy destinations and snapshots, which is where its
/// backups live; and its restore ports, the only LUNs it may assign (its own volumes) or release.
/// The scope is worked out from the management table at each call, so a snapshot or a mirror destination added
/// after start is in it, and a volume reassigned away from the host's LUN leaves it. Admin credentials reach
/// everything; every check here returns at once for them. A refusal is a 403 <c>scope.*</c> naming the
/// credential and its volumes, raised before the route changes anything.
/// </summary>
public sealed class ArrayScope(VolumeManager volumes)
{
    /// <summary>Which agent credential started a job, so that it may see and cancel its own jobs only.</summary>
    private readonly ConcurrentDictionary<string, string> _jobOwners = new(StringComparer.Ordinal);

    private static Credential? Scoped(HttpContext http) => http.FindPrincipal()?.Credential is { IsScoped: true } c ? c : null;

    /// <summary>The volumes a scoped credential reaches, or null for a credential that reaches all.</summary>
    public IReadOnlySet<uint>? Reach(HttpContext http) => Scoped(http) is { } c ? Reach(c) : null;

    private HashSet<uint> Reach(Credential c)
    {
        var own = new HashSet<uint>(c.Volumes);
        foreach (var l in c.Luns)
        {
            try
            {
                own.Add(checked((uint)volumes.GetLun(l.Port, l.Lun).Volume));
            }
            catch (SnapcatException)
            {
                // Not assigned (or not a data port of this array): nothing there to reach.
            }
        }
        var reach = new HashSet<uint>(own);
        foreach (var v in volumes.List())
        {
            if (!own.Contains(v.Number)) continue;
            reach.UnionWith(v.MirrorDestinations);
            reach.UnionWith(v.Snapshots);
        }
        return reach;
    }

    /// <summary>403 unless the caller may reach <paramref name="number"/>.</summary>
    public void RequireVolume(HttpContext http, uint number)
    {
        if (Scoped(http) is not { } c) return;
        var reach = Reach(c);
        if (!reach.Contains(number))
            Throw.Forbidden("scope.volume",
                $"the credential '{c.Name}' is limited to volumes {List(reach)} (the host's volumes, their copy destinations and snapshots); volume {number} is not one of them");
    }

    /// <summary>The volume assigned at port/LUN, after checking that the caller may reach it.</summary>
    public uint RequireVolumeAt(HttpContext http, string port, uint lun)
    {
        uint number = checked((uint)volumes.GetLun(port, lun).Volume);
        RequireVolume(http, number);
        return number;
    }

    /// <summary>403 unless port/LUN is one of a scoped caller's restore ports.</summary>
    public void RequireRestorePort(HttpContext http, string port, uint lun)
    {
        if (Scoped(http) is not { } c) return;
        string canonical = volumes.CanonicalPort(port);
        if (!c.RestorePorts.Contains(new PortLun(canonical, lun)))
            Throw.Forbidden("scope.port",
                $"the credential '{c.Name}' may assign and release only its restore ports ({(c.RestorePorts.Count == 0 ? "none" : string.Join(", ", c.RestorePorts))}); " +
                $"{canonical} LUN {lun} needs the admin role");
    }

    /// <summary>An agent credential deletes only snapshots it reaches (pruning, undoing a failed backup); any other volume needs admin.</summary>
    public void RequireDeletable(HttpContext http, uint number)
    {
        if (Scoped(http) is not { } c) return;
        RequireVolume(http, number);
        if (volumes.Get(number).Kind != VolumeKinds.Snapshot)
            Throw.Forbidden("scope.delete", $"deleting volume {number} needs the admin role; the credential '{c.Name}' may delete only snapshots of its volumes");
    }

    /// <summary>The items a scoped caller reaches (all of them for admin).</summary>
    public IEnumerable<T> Filter<T>(HttpContext http, IEnumerable<T> items, Func<T, uint> number)
    {
        var reach = Reach(http);
        return reach is null ? items : items.Where(i => reach.Contains(number(i)));
    }

    public void RecordJob(HttpContext http, string jobId)
    {
        if (Scoped(http) is { } c) _jobOwners[jobId] = c.Name;
    }

    /// <summary>A scoped caller sees and cancels only the jobs it started.</summary>
    public bool MayReachJob(HttpContext http, string jobId) =>
        Scoped(http) is not { } c || (_jobOwners.TryGetValue(jobId, out var owner) && owner == c.Name);

    public void RequireJob(HttpContext http, string jobId)
    {
        if (!MayReachJob(http, jobId))
            Throw.Forbidden("scope.job", $"job {jobId} was not started by the credential '{http.Principal().Name}'; an agent credential reaches only its own jobs");
    }

    private static string List(IEnumerable<uint> numbers)
    {
        var sorted = numbers.Order().ToList();
        return sorted.Count == 0 ? "(none)" : string.Join(", ", sorted);
    }
}
