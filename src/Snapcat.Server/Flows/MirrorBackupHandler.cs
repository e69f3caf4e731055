using System.Text.Json.Nodes;

namespace Snapcat.Server.Flows;

/// <summary>
/// FIG. 9, a data mirror backup: the agent freezes, the array copies the primary onto the definition's
/// secondary, the agent thaws and the array records the volume information there.
///
///   2401 the catalog rows of the destination are removed — when the agent reports that the array began the copy
///   2402 order the client (<see cref="BackupRun.OrderAsync"/>)
///   2403 wait for the client's status, its progress relayed into this job
///   2404 record the returned volume information (<see cref="BackupRun.RecordAsync"/>)
///
/// Failure policy: from the "copy started" marker on, the destination is being overwritten; if the run then fails it
/// holds no trustworthy backup and the catalog rightly lists none. A run that fails before the copy began (array
/// down, hook refused) removes nothing: the previous backup there is still intact.
/// </summary>
public sealed class MirrorBackupHandler(ServerRuntime rt)
{
    public async Task<JsonNode?> RunAsync(BackupDefinition d, JobContext job)
    {
        // The run overwrites the destination: a protected backup there stops it before anything is ordered (docs/retention.md).
        await Retention.BackupProtection.EnsureNotProtectedAtAsync(rt, d.DeviceId, d.DestinationVolume!.Value, job.CancellationToken).ConfigureAwait(false);
        var run = await BackupRun.OrderAsync(rt, d, BackupKind.Mirror, catalogued: true, "runs it", job).ConfigureAwait(false);   // step 2402

        // Steps 2403 and 2401: the destination's rows go the moment the agent's log says the copy began, and still
        // when the run fails after that, since the destination is then half new.
        var rows = new DestinationRows(rt, d, job);
        var relay = Remote.AgentHookRelay.Relay(rt, job, d.Host,
            line => { if (line.Message.StartsWith(AgentJobMarkers.CopyStarted, StringComparison.Ordinal)) rows.Remove(); });
        JobSnapshot final;
        try
        {
            final = await run.Agent.WaitForJobAsync(run.Started.Id, relay, ct: job.CancellationToken).ConfigureAwait(false);
            if (AgentJobMarkers.HasCopyStarted(final) || final.State == JobState.Succeeded)
                rows.Remove();  // an agent without the marker: a successful copy overwrote the destination all the same
        }
        finally
        {
            await rows.WaitAsync().ConfigureAwait(false);
        }
        var done = AgentClient.EnsureSucceeded(final);

        return BackupRun.Result(await BackupRun.RecordAsync(rt, d, run, done, job).ConfigureAwait(false));   // step 2404
    }

    /// <summary>The catalog rows of the mirror destination, removed once (step 2401), when the copy has begun.</summary>
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
}
