using Prometheus;
using Snapcat.Array.CopyFunctions;
using Snapcat.Array.ManagementTable;
using Snapcat.Array.Volumes;
using Snapcat.ControlApi.Metrics;
using Snapcat.Nbd.Server;

namespace Snapcat.Array.Hosting;

/// <summary>
/// The array's <c>/metrics</c> registry (docs/metrics.md): the NBD data ports' meter (<see cref="NbdMetrics"/>, through
/// <see cref="MeterExport"/>), and capacity and snapshot gauges computed when Prometheus scrapes (one read of the
/// management table and a stat of each volume file, no timer).
/// </summary>
public static class ArrayMetrics
{
    /// <param name="nbd">The data ports' meter; null when the array serves no data ports (in-process tests).</param>
    /// <returns>The registry, and what must be disposed when the API stops.</returns>
    public static (CollectorRegistry Registry, IDisposable? Export) Create(VolumeManager volumes, CopyFunctionService? copy, NbdMetrics? nbd)
    {
        var registry = MetricsEndpoints.NewRegistry();
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        var count = f.CreateGauge("snapcat_array_volumes", "Volumes of the array (snapshots not included)");
        var provisioned = f.CreateGauge("snapcat_array_provisioned_bytes", "Sum of the sizes of the array's volumes (snapshots not included): what hosts may write");
        var allocated = f.CreateGauge("snapcat_array_allocated_bytes", "Blocks the array's volume files really occupy on the data file system (sparse files: only what was written)");
        var fsFree = f.CreateGauge("snapcat_array_data_filesystem_free_bytes", "Bytes available to the array on the file system of its data directory");
        var fsSize = f.CreateGauge("snapcat_array_data_filesystem_size_bytes", "Size of the file system of the array's data directory");
        var snapshots = f.CreateGauge("snapcat_array_snapshots", "Snapshots the array holds");
        var chunks = f.CreateGauge("snapcat_array_snapshot_preserved_chunks", "Chunks (64 KiB) of old data the snapshots preserve by copy-on-write");
        var bytes = f.CreateGauge("snapcat_array_snapshot_preserved_bytes", "Blocks the snapshots' preserved data occupies on the data file system");
        var verifies = f.CreateCounter("snapcat_array_verifies_total", "Array-side verifies since start, by outcome: sealed (no digest yet, one kept), matched, mismatched, failed, cancelled", "outcome");
        registry.AddBeforeCollectCallback(() =>
        {
            foreach (string outcome in Integrity.VerifyOutcomes.All)
                verifies.WithLabels(outcome).IncTo(volumes.Digests.Outcomes.Get(outcome));
            var all = volumes.List();
            var plain = all.Where(v => v.Kind != VolumeKinds.Snapshot).ToList();
            var snaps = all.Where(v => v.Kind == VolumeKinds.Snapshot).ToList();
            count.Set(plain.Count);
            provisioned.Set(plain.Sum(v => (double)v.Size));
            allocated.Set(plain.Sum(v => (double)v.AllocatedBytes));
            snapshots.Set(snaps.Count);
            bytes.Set(snaps.Sum(v => (double)v.AllocatedBytes));
            chunks.Set(copy?.PreservedChunks() ?? 0);
            // An unreadable file system keeps the last values rather than failing the whole scrape.
            if (volumes.DataFileSystemSpace() is { } space)
            {
                fsFree.Set(space.FreeBytes);
                fsSize.Set(space.TotalBytes);
            }
        });
        return (registry, nbd is null ? null : new MeterExport(nbd.Meter, registry));
    }
}
