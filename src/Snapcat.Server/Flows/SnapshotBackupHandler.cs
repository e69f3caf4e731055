using System.Text.Json.Nodes;

namespace Snapcat.Server.Flows;

/// <summary>
/// FIG. 17, a snapshot backup: the agent freezes, the array takes a copy-on-write snapshot of the primary, the agent
/// thaws and the array records the volume information on the snapshot.
///
///   (the step 2401 counterpart is absent: a snapshot overwrites nothing, so no rows are removed first)
///   2441 order the client (<see cref="BackupRun.OrderAsync"/>)
///   2442 wait for the client's status, its progress relayed into this job
///   2443 record the returned volume information (<see cref="BackupRun.RecordAsync"/>)
///   then the definition's retention is applied (<see cref="PruneHandler"/>: keep-last = keep generations, keep-daily, …),
///   the backups it removes deleted oldest first, each through the delete flow (array first, then catalog) — only after
///   the new one is recorded.
/// </summary>
public sealed class SnapshotBackupHandler(ServerRuntime rt)
{
    public async Task<JsonNode?> RunAsync(BackupDefinition d, JobContext job)
    {
        var run = await BackupRun.OrderAsync(rt, d, BackupKind.Snapshot, catalogued: true, "runs it", job).ConfigureAwait(false);   // step 2441
        var final = await run.Agent.WaitForJobAsync(run.Started.Id, Remote.AgentHookRelay.Relay(rt, job, d.Host), ct: job.CancellationToken).ConfigureAwait(false);   // step 2442
        var outcome = await BackupRun.RecordAsync(rt, d, run, AgentClient.EnsureSucceeded(final), job).ConfigureAwait(false);   // step 2443
        outcome = outcome with { DeletedGenerations = await new PruneHandler(rt).PruneAfterRunAsync(d, job).ConfigureAwait(false) };
        return BackupRun.Result(outcome);
    }
}
