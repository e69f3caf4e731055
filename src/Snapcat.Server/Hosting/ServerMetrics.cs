using Prometheus;
using Snapcat.ControlApi.Metrics;

namespace Snapcat.Server.Hosting;

/// <summary>
/// The backup server's <c>/metrics</c> registry (docs/metrics.md). Gauges are read from the catalog (and the tape
/// library's labels) when Prometheus scrapes; the job finish counter counts <see cref="Jobs.ServerJobs.Finished"/>.
/// A tape library whose drive is busy longer than <see cref="TapeScanTimeout"/> keeps its values of the last scrape.
/// </summary>
public static class ServerMetrics
{
    public static readonly TimeSpan TapeScanTimeout = TimeSpan.FromSeconds(3);

    public static CollectorRegistry Create(ServerRuntime rt)
    {
        ArgumentNullException.ThrowIfNull(rt);
        var registry = MetricsEndpoints.NewRegistry();
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        var stats = new CatalogStatistics(rt.Catalog);

        var jobs = f.CreateGauge("snapcat_server_jobs", "Jobs in the server's job history by state and kind (running jobs included)", "state", "kind");
        var finishes = f.CreateCounter("snapcat_server_job_finishes_total", "Jobs that reached a final state since the server started, by outcome and kind", "outcome", "kind");
        var lastSuccess = f.CreateGauge("snapcat_server_definition_last_success_timestamp_seconds",
            "When the newest succeeded job of each backup definition finished (unix seconds); absent until one succeeded", "definition");
        var backups = f.CreateGauge("snapcat_server_catalog_backups", "Backups in the catalog's backup data table by kind", "kind");
        rt.Jobs.Finished += (job, _) => finishes.WithLabels(Name(job.State), job.Kind).Inc();
        // Verify jobs (docs/verify.md): every verify recorded since the server started, and the backups no verify ever reached.
        var verifies = f.CreateCounter("snapcat_server_verifies_total", "Backup verifies recorded since the server started, by outcome (ok, sealed, mismatch, failed)", "outcome");
        foreach (string outcome in Verify.VerifyOutcome.All) verifies.WithLabels(outcome);
        rt.Verifications.Recorded += run => verifies.WithLabels(run.Outcome).Inc();
        var neverVerified = f.CreateGauge("snapcat_server_backups_never_verified", "Backups in the catalog that no verify ever reached a verdict on (ok, sealed or mismatch)");
        registry.AddBeforeCollectCallback(async ct => neverVerified.Set(await rt.Verifications.CountNeverVerifiedAsync(ct).ConfigureAwait(false)));
        var drift = f.CreateGauge("snapcat_server_drift_findings", "Findings of the last drift reconcile by kind (docs/drift.md); 0 for a kind with none", "kind");
        var driftStore = new Drift.DriftStore(rt.Catalog);

        registry.AddBeforeCollectCallback(async ct =>
        {
            foreach (var labels in jobs.GetAllLabelValues()) jobs.WithLabels(labels).Set(0);
            foreach (var row in await stats.JobsByStateAsync(ct).ConfigureAwait(false))
                jobs.WithLabels(Name((JobState)row.State), row.Kind).Set(row.Count);

            var successes = await stats.LastSuccessesAsync(ct).ConfigureAwait(false);
            var names = successes.Select(s => s.Definition).ToHashSet(StringComparer.Ordinal);
            foreach (var labels in lastSuccess.GetAllLabelValues().Where(l => !names.Contains(l[0])).ToList()) lastSuccess.RemoveLabelled(labels);
            foreach (var s in successes) lastSuccess.WithLabels(s.Definition).Set(s.FinishedUs / 1_000_000.0);

            foreach (var labels in backups.GetAllLabelValues()) backups.WithLabels(labels).Set(0);
            foreach (var row in await stats.BackupsByKindAsync(ct).ConfigureAwait(false)) backups.WithLabels(row.Kind).Set(row.Count);

            var findings = await driftStore.StatusAsync(ct).ConfigureAwait(false);
            foreach (string kind in DriftKinds.All) drift.WithLabels(kind).Set(findings.ByKind.GetValueOrDefault(kind));
        });

        if (rt.Tapes is { } tapes)
        {
            var free = f.CreateGauge("snapcat_tape_library_free_bytes", "Bytes still writable on the tape library's cartridges that are not closed");
            var slots = f.CreateGauge("snapcat_tape_library_free_slots", "Empty slots of the tape library (room for new cartridges)");
            var cartridges = f.CreateGauge("snapcat_tape_library_cartridges", "Cartridges of the tape library by state (empty, appendable, closed, damaged)", "state");
            registry.AddBeforeCollectCallback(async ct =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TapeScanTimeout);
                Tape.TapeLibraryUsage usage;
                try
                {
                    usage = await tapes.UsageAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    return;  // the drive is busy: the last values stay
                }
                free.Set(usage.FreeBytes);
                slots.Set(usage.FreeSlots);
                foreach (var (state, n) in usage.CartridgesByState) cartridges.WithLabels(state).Set(n);
            });
        }
        return registry;
    }

    /// <summary>The state as the API and the CLI spell it (succeeded, failed, …).</summary>
    public static string Name(JobState state) => state.ToString().ToLowerInvariant();
}
