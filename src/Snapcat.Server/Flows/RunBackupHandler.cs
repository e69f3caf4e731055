using System.Text.Json;
using System.Text.Json.Nodes;
using Snapcat.Agent.Api;
using Snapcat.Agent.Hooks;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Core.VolumeInformation;
using Snapcat.Server.Catalog;
using Snapcat.Server.Definitions;
using Snapcat.Server.Hosting;

namespace Snapcat.Server.Flows;

/// <summary>
/// Runs a backup definition: FIG. 9 (data mirror), FIG. 17 (snapshot), or a tape backup (<see cref="TapeBackupHandler"/>).
/// Failure policy: the catalog rows of a mirror destination are removed (step 2401) when the agent
/// reports that the array began the copy, because from then on it is being overwritten; if the run
/// then fails, the destination holds no trustworthy backup and the catalog rightly lists none. A run
/// that fails before the copy began removes nothing: the previous backup there is still intact. A snapshot run removes nothing first. Old
/// snapshot generations are deleted only after the new one is recorded, oldest first, each through the
/// delete flow (array first, then catalog).
/// </summary>
public sealed class RunBackupHandler(ServerRuntime rt)
{
    public sealed record Outcome(long BackupId, string DeviceId, uint Volume, string Label, DateTimeOffset Timestamp, IReadOnlyList<long> DeletedGenerations);

    public async Task<JsonNode?> RunAsync(BackupDefinition d, string trigger, JobContext job)
    {
        var ct = job.CancellationToken;
        job.Info($"backup '{d.Name}' ({trigger}): {d.Kind} of {d.Host}:{d.MountPoint} to {d.DeviceId}");

        // Step 2400: the backup classification decides the flow.
        if (d.Kind is not ("mirror" or "snapshot" or "tape"))
            Throw.Invalid("definition.kind_unknown", $"definition '{d.Name}' is a {d.Kind} backup; this server runs mirror, snapshot and tape backups");

        // The definition must still match the backup volume table (FIG. 4); an entry that is missing or
        // no longer lists the destination is fetched again from the agent's copy destination list (FIG. 8).
        var definitions = new DefinitionService(rt);
        if (await definitions.CheckAgainstBackupVolumeTableAsync(d, ct).ConfigureAwait(false) is { } refreshed)
        {
            await rt.Volumes.SaveAsync(refreshed, ct).ConfigureAwait(false);
            job.Info($"backup volume table entry of {d.Host}:{d.MountPoint} filled from the agent: copy-to {string.Join(", ", refreshed.CopyTo)}");
        }

        // A tape backup: temporary snapshot, streamed to the library, snapshot deleted (TapeBackupHandler).
        if (d.Kind == "tape")
            return await new TapeBackupHandler(rt).RunAsync(d, job).ConfigureAwait(false);

        // FIG. 17: a snapshot overwrites nothing, so no rows are removed (the step 2401 counterpart is absent).

        // Step 2402 / 2441: order the client with mount point, destination, pre/postprocess names and label.
        // The backup's ID is taken first and travels in its volume information, so a rebuild gives it back (issue 15.7).
        var agent = rt.Remotes.AgentFor(d.Host);
        long number = await rt.Data.AllocateIdAsync(ct).ConfigureAwait(false);
        var order = new BackupOrder(d.Kind, d.MountPoint, d.Label, d.DestinationVolume,
            d.PreHook is { } pre ? HookRef.Named(pre) : null, d.PostHook is { } post ? HookRef.Named(post) : null, d.Name, number);
        var started = await agent.StartBackupAsync(order, ct).ConfigureAwait(false);
        job.Info($"agent of {d.Host} runs it as job {started.Id}");
        // Stored now: after a server crash the next start asks the agent for this job (JobReconciler).
        await rt.Jobs.RecordAgentJobAsync(job, d.Host, started.Id).ConfigureAwait(false);

        // Step 2403 / 2442: wait for the client's status. Step 2401 for a mirror: the destination's rows
        // go the moment the agent reports that the array began the copy — not before, so a run that fails
        // before the copy (array down, hook refused) leaves the previous backup, whose data is untouched,
        // in the catalog; and still when the run fails after that, since the destination is then half new.
        var rows = d.Kind == "mirror" ? new DestinationRows(rt, d, job) : null;
        JobSnapshot final;
        try
        {
            final = await agent.WaitForJobAsync(started.Id, new MirrorProgress(job, rows), ct: ct).ConfigureAwait(false);
            if (rows is not null && (AgentJobMarkers.HasCopyStarted(final) || final.State == JobState.Succeeded))
                rows.Remove();  // an agent without the marker: a successful copy overwrote the destination all the same
        }
        finally
        {
            if (rows is not null) await rows.WaitAsync().ConfigureAwait(false);
        }
        var done = agent.EnsureSucceeded(final);
        var result = agent.ResultOf<BackupResultDto>(done);

        // Step 2404 / 2443: record the returned volume information in the backup data table.
        byte[] raw;
        try { raw = Convert.FromBase64String(result.VolumeInfo); }
        catch (FormatException) { raw = []; }
        if (!VolumeInfoRecord.TryDecode(raw, out var record, out string? reason))
            Throw.Remote("agent.bad_volume_info", $"the agent of {d.Host} reported a backup whose volume information {reason}");
        if (record!.Host != d.Host || record.MountPoint != d.MountPoint)
            job.Warn($"the volume information names {record.Host}:{record.MountPoint}, not {d.Host}:{d.MountPoint}; recorded as the record says");
        var row = BackupRows.FromRecord(record, raw, result.DeviceId, result.Volume, BackupOrigin.Backup);
        if (record.CatalogNumber == 0 || record.DefinitionName.Length == 0)
            job.Warn($"the agent of {d.Host} wrote a volume information without catalog number or definition name (an older agent?); " +
                "a catalog rebuild will number this backup anew and no retention will prune it");
        if (record.CatalogNumber == 0) row = row with { Id = number, Definition = d.Name };
        // Not cancellable from here: the backup exists on the array and must be in the catalog.
        long id = await rt.Data.RecordAsync(row, CancellationToken.None).ConfigureAwait(false);
        job.Info($"recorded backup {id}: volume {result.Volume} on {result.DeviceId}, '{record.Label}' {record.Timestamp:u}");

        var deleted = new List<long>();
        if (d.Kind == "snapshot" && d.KeepGenerations is { } keep)
            deleted.AddRange(await PruneGenerationsAsync(d, keep, job).ConfigureAwait(false));

        var outcome = new Outcome(id, result.DeviceId, result.Volume, record.Label, record.Timestamp, deleted);
        return JsonSerializer.SerializeToNode(outcome, new JsonSerializerOptions(JsonSerializerDefaults.Web));
    }

    /// <summary>The catalog rows of a mirror destination, removed once (step 2401), when the copy has begun.</summary>
    private sealed class DestinationRows(ServerRuntime rt, BackupDefinition d, JobContext job)
    {
        private readonly Lock _gate = new();
        private Task? _removal;

        public void Remove()
        {
            // Not the job's token: once the copy has begun the rows are wrong whatever happens to the run.
            lock (_gate) _removal ??= Task.Run(async () =>
            {
                string media = d.DestinationVolume!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
                int removed = await rt.Data.DeleteAtAsync(d.DeviceId, media, CancellationToken.None).ConfigureAwait(false);
                if (removed > 0) job.Info($"removed {removed} catalog row(s) of volume {media} on {d.DeviceId}: the array began overwriting it");
            });
        }

        public Task WaitAsync()
        {
            lock (_gate) return _removal ?? Task.CompletedTask;
        }
    }

    /// <summary>The agent job's progress as ours; for a mirror, the "copy started" marker removes the destination's rows.</summary>
    private sealed class MirrorProgress(JobContext job, DestinationRows? rows) : IProgress<JobSnapshot>
    {
        public void Report(JobSnapshot value)
        {
            job.SetProgress(value.BytesDone, value.BytesTotal);
            if (rows is not null && AgentJobMarkers.HasCopyStarted(value)) rows.Remove();
        }
    }

    /// <summary>
    /// Snapshot generations this definition made, on its array, beyond <paramref name="keep"/>, oldest first, through the
    /// delete flow. Selected by definition name (issue 9.1: two definitions of one mount point each keep their own
    /// count) and origin backup (a copy is never a generation), over every page of the catalog (issue 9.14).
    /// </summary>
    private async Task<IReadOnlyList<long>> PruneGenerationsAsync(BackupDefinition d, int keep, JobContext job)
    {
        var generations = await rt.Data.SearchAllAsync(new BackupDataFilter
        {
            Definition = d.Name, Host = d.Host, MountPoint = d.MountPoint, Kind = "snapshot", DeviceId = d.DeviceId, Origin = BackupOrigin.Backup,
        }, job.CancellationToken).ConfigureAwait(false);
        var surplus = generations.Skip(keep).Reverse().ToList();
        var deleted = new List<long>();
        var delete = new DeleteBackupHandler(rt);
        foreach (var g in surplus)
        {
            job.Info($"keeping {keep} generation(s) of '{d.Name}': deleting snapshot backup {g.Id} (volume {g.MediaId}, {g.Timestamp:u})");
            await delete.RunAsync(g.Id, job).ConfigureAwait(false);
            deleted.Add(g.Id);
        }
        return deleted;
    }
}
