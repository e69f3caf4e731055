using System.Text.Json.Nodes;
using Snapcat.Core.Json;
using Snapcat.Server.Definitions;

namespace Snapcat.Server.Flows;

/// <summary>What a mirror or snapshot backup run returns as its job result (the quickstart reads it too).</summary>
public sealed record BackupRunOutcome(long BackupId, string DeviceId, uint Volume, string Label, DateTimeOffset Timestamp, IReadOnlyList<long> DeletedGenerations);

/// <summary>
/// The steps the backup flows share — <see cref="MirrorBackupHandler"/> (FIG. 9), <see cref="SnapshotBackupHandler"/>
/// (FIG. 17) and <see cref="TapeBackupHandler"/> — so each handler shows only the steps of its own figure:
/// the check against the backup volume table (FIG. 4/8) before anything runs, the order to the client
/// (steps 2402/2441), and the volume information the client returns, decoded and recorded (steps 2404/2443).
/// </summary>
public static class BackupRun
{
    /// <summary>
    /// Before the flow: the definition must still match the backup volume table (FIG. 4); an entry that is missing
    /// or no longer lists the destination is fetched again from the agent's copy destination list (FIG. 8).
    /// </summary>
    public static async Task PrepareAsync(ServerRuntime rt, BackupDefinition d, string trigger, JobContext job)
    {
        job.Info($"backup '{d.Name}' ({trigger}): {d.Kind} of {d.Host}:{d.MountPoint} to {d.DeviceId}");
        if (await new DefinitionService(rt).CheckAgainstBackupVolumeTableAsync(d, job.CancellationToken).ConfigureAwait(false) is { } refreshed)
        {
            await rt.Volumes.SaveAsync(refreshed, job.CancellationToken).ConfigureAwait(false);
            job.Info($"backup volume table entry of {d.Host}:{d.MountPoint} filled from the agent: copy-to {string.Join(", ", refreshed.CopyTo)}");
        }
    }

    /// <summary>An order the agent accepted: its client, the agent's job, and the catalog number the backup was given.</summary>
    public sealed record AgentJob(AgentClient Agent, JobSnapshot Started, long? CatalogNumber);

    /// <summary>
    /// Step 2402 / 2441: the client is ordered with mount point, destination, pre/postprocess names, label and definition.
    /// <paramref name="catalogued"/>: the order makes a backup the catalog records — its ID is taken first and travels in
    /// the volume information, so a rebuild gives it back (issue 15.7), and the agent's job is stored with ours at once,
    /// so after a server crash the next start asks the agent how it ended (<see cref="Jobs.JobReconciler"/>).
    /// </summary>
    public static async Task<AgentJob> OrderAsync(ServerRuntime rt, BackupDefinition d, BackupKind kind, bool catalogued, string what, JobContext job)
    {
        var agent = rt.Remotes.AgentFor(d.Host);
        long? number = catalogued ? await rt.Data.AllocateIdAsync(job.CancellationToken).ConfigureAwait(false) : null;
        var order = new BackupOrder(SnapcatJson.Name(kind), d.MountPoint, d.Label, kind == BackupKind.Mirror ? d.DestinationVolume : null,
            d.PreHook is { } pre ? HookRef.Named(pre) : null, d.PostHook is { } post ? HookRef.Named(post) : null, d.Name, number);
        var started = await agent.StartBackupAsync(order, job.CancellationToken).ConfigureAwait(false);
        job.Info($"agent of {d.Host} {what} as job {started.Id}");
        if (catalogued) await rt.Jobs.RecordAgentJobAsync(job, d.Host, started.Id).ConfigureAwait(false);
        return new AgentJob(agent, started, number);
    }

    /// <summary>The volume information an agent returned with a backup (base64), checked; <paramref name="what"/> names it in the error.</summary>
    public static (byte[] Raw, VolumeInfoRecord Record) DecodeVolumeInfo(BackupResultDto result, string? host, string what)
    {
        byte[] raw;
        try { raw = Convert.FromBase64String(result.VolumeInfo); }
        catch (FormatException) { raw = []; }
        if (!VolumeInfoRecord.TryDecode(raw, out var record, out string? reason))
            Throw.Remote("agent.bad_volume_info", $"the agent of {host} reported a {what} whose volume information {reason}");
        return (raw, record!);
    }

    /// <summary>
    /// Step 2404 / 2443: the returned volume information into the backup data table, not cancellable: the backup
    /// exists on the array and must be in the catalog. A record without catalog number (an older agent) gets
    /// the number taken for the order and the definition's name in its row.
    /// </summary>
    public static async Task<BackupRunOutcome> RecordAsync(ServerRuntime rt, BackupDefinition d, AgentJob run, JobSnapshot done, JobContext job)
    {
        var result = run.Agent.ResultOf<BackupResultDto>(done);
        var (raw, record) = DecodeVolumeInfo(result, d.Host, "backup");
        if (record.Host != d.Host || record.MountPoint != d.MountPoint)
            job.Warn($"the volume information names {record.Host}:{record.MountPoint}, not {d.Host}:{d.MountPoint}; recorded as the record says");
        var row = BackupRows.FromRecord(record, raw, result.DeviceId, result.Volume, BackupOrigin.Backup);
        if (record.CatalogNumber == 0 || record.DefinitionName.Length == 0)
            job.Warn($"the agent of {d.Host} wrote a volume information without catalog number or definition name (an older agent?); " +
                "a catalog rebuild will number this backup anew and no retention will prune it");
        if (record.CatalogNumber == 0 && run.CatalogNumber is { } number) row = row with { Id = number, Definition = d.Name };
        long id = await rt.Data.RecordAsync(row, CancellationToken.None).ConfigureAwait(false);
        job.Info($"recorded backup {id}: volume {result.Volume} on {result.DeviceId}, '{record.Label}' {record.Timestamp:u}");
        // The array computed the secondary's content digest while it copied (issue 13); a snapshot's comes with its first verify.
        await Verify.DigestRecorder.FillFromArrayAsync(rt, id, result.DeviceId, result.Volume, job).ConfigureAwait(false);
        return new BackupRunOutcome(id, result.DeviceId, result.Volume, record.Label, record.Timestamp, []);
    }

    /// <summary>A flow's outcome as the job's result, in the one JSON encoding.</summary>
    public static JsonNode? Result<T>(T outcome) => System.Text.Json.JsonSerializer.SerializeToNode(outcome, SnapcatJson.Web);
}
