using System.Text.Json.Nodes;
using Snapcat.Server.Retention;

namespace Snapcat.Server.Flows;

/// <summary>
/// Prune (docs/retention.md): for each definition, its backups are planned by <see cref="PrunePlanner"/> against the
/// definition's retention, and — unless it is a dry run — each backup the plan removes goes through the delete flow
/// (<see cref="DeleteBackupHandler"/>: array first, then the catalog row), oldest first. The dry run and the prune build
/// the plan by the same code from the same rows, so a dry run lists exactly what the prune then deletes. The same plan
/// prunes after every snapshot and tape run.
///
/// Which backups are a definition's: rows made by it (definition name, record version 2) of its host, mount point and
/// kind on its device, origin backup — a copy or a rebuilt foreign row is never pruned (issue 9.1: two definitions of
/// one mount point each keep their own), read over every page of the catalog (issue 9.14).
/// Failure policy: a failed delete leaves that backup (and its row) in place, is reported on its item and does not stop
/// the prune of the others.
/// </summary>
public sealed class PruneHandler(ServerRuntime rt)
{
    public const string Keep = "keep", Remove = "remove", Protected = "protected";

    /// <summary>The plan for one definition, or for all (<paramref name="definition"/> null), deleting nothing.</summary>
    public async Task<PruneReport> PlanAsync(string? definition, Func<string, bool> isRunning, CancellationToken ct)
    {
        var definitions = definition is null
            ? await rt.Definitions.ListAsync(ct).ConfigureAwait(false)
            : [await rt.Definitions.GetAsync(definition, ct).ConfigureAwait(false)];
        var reports = new List<PruneDefinitionReport>();
        foreach (var d in definitions)
            reports.Add(isRunning(d.Name)
                ? Skip(d, "a run of this definition is going (it prunes when it ends); try again after it")
                : await PlanAsync(d, ct).ConfigureAwait(false));
        return new PruneReport(true, reports);
    }

    /// <summary>The prune job: plan, then delete what the plan removes.</summary>
    public async Task<JsonNode?> RunAsync(string? definition, Func<string, bool> isRunning, JobContext job)
    {
        var plan = await PlanAsync(definition, isRunning, job.CancellationToken).ConfigureAwait(false);
        var done = new List<PruneDefinitionReport>();
        foreach (var d in plan.Definitions)
        {
            if (d.Skipped is not null)
            {
                job.Info($"prune of '{d.Definition}' skipped: {d.Skipped}");
                done.Add(d);
                continue;
            }
            done.Add(d with { Backups = await DeleteAsync(d, job, stopOnError: false).ConfigureAwait(false) });
        }
        return BackupRun.Result(new PruneReport(false, done));
    }

    /// <summary>After a run of <paramref name="d"/>: its retention applied, through the delete flow; the IDs deleted. A failed delete fails the run.</summary>
    public async Task<IReadOnlyList<long>> PruneAfterRunAsync(BackupDefinition d, JobContext job)
    {
        var plan = await PlanAsync(d, job.CancellationToken).ConfigureAwait(false);
        if (plan.Skipped is not null) return [];
        var items = await DeleteAsync(plan, job, stopOnError: true).ConfigureAwait(false);
        return items.Where(i => i.Deleted).Select(i => i.Id).ToList();
    }

    public async Task<PruneDefinitionReport> PlanAsync(BackupDefinition d, CancellationToken ct)
    {
        var retention = d.EffectiveRetention;
        if (retention is null || retention.KeepsEverything) return Skip(d, "no retention rules: every backup is kept");
        if (!BackupDefinition.TryZone(d.TimeZone, out var zone))
            return Skip(d, $"time zone '{d.TimeZone}' is not known on this server, so its days cannot be told");
        var rows = await rt.Data.SearchAllAsync(new BackupDataFilter
        {
            Definition = d.Name, Host = d.Host, MountPoint = d.MountPoint, Kind = d.Kind, DeviceId = d.DeviceId, Origin = BackupOrigin.Backup,
        }, ct).ConfigureAwait(false);
        var now = rt.Time.GetUtcNow();
        var byId = rows.ToDictionary(r => r.Id);
        var plan = PrunePlanner.Plan(rows.Select(r => new PruneCandidate(r.Id, r.Timestamp, r.IsProtectedAt(now))), retention, zone!);
        var items = plan.Select(p =>
        {
            var row = byId[p.Backup.Id];
            return p.Mark switch
            {
                PruneMark.Keep => new PruneItemDto(row.Id, row.Timestamp, row.DeviceId, row.MediaId, Keep, p.Reason),
                PruneMark.Protected => new PruneItemDto(row.Id, row.Timestamp, row.DeviceId, row.MediaId, Protected, "protected " + BackupProtection.Until(row)),
                _ => new PruneItemDto(row.Id, row.Timestamp, row.DeviceId, row.MediaId, Remove, null),
            };
        }).ToList();
        return new PruneDefinitionReport(d.Name, d.Kind, retention.ToString(), d.TimeZone, items);
    }

    private async Task<IReadOnlyList<PruneItemDto>> DeleteAsync(PruneDefinitionReport plan, JobContext job, bool stopOnError)
    {
        var items = plan.Backups.ToArray();
        var delete = new DeleteBackupHandler(rt);
        // Oldest first: a prune cut short leaves the newest backups.
        for (int i = items.Length - 1; i >= 0; i--)
        {
            var item = items[i];
            if (item.Action != Remove) continue;
            job.Info($"retention of '{plan.Definition}' ({plan.Retention}): deleting backup {item.Id} ({item.DeviceId} {item.MediaId}, {item.Timestamp:u})");
            try
            {
                await delete.RunAsync(item.Id, job).ConfigureAwait(false);
                items[i] = item with { Deleted = true };
            }
            catch (Exception e) when (!stopOnError && e is SnapcatException or HttpRequestException)
            {
                job.Warn($"backup {item.Id} was not deleted: {e.Message}");
                items[i] = item with { Error = e.Message };
            }
        }
        return items;
    }

    private static PruneDefinitionReport Skip(BackupDefinition d, string why) =>
        new(d.Name, d.Kind, d.EffectiveRetention?.ToString() ?? "none (every backup is kept)", d.TimeZone, [], why);
}
