using System.Globalization;
using Snapcat.Array.ManagementTable;
using Snapcat.Array.Snapshots;
using Snapcat.Array.Volumes;

namespace Snapcat.Array.CopyFunctions;

// Snapshots (second embodiment): the array assigns each snapshot a volume number (a 'snapshot' row
// with source_number = the source) and creates it in the source's engine under that id.
public sealed partial class CopyFunctionService
{
    /// <summary>
    /// Creates a snapshot of <paramref name="source"/> in constant time (the engine drains in-flight
    /// writes, fsyncs, creates two empty files and rewrites its small manifest; nothing scans the
    /// volume). Order: row (number assigned) → engine snapshot; a failure in between drops the row,
    /// a crash in between leaves a row that the next start removes.
    /// </summary>
    public async Task<VolumeDetails> CreateSnapshotAsync(uint source)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            CheckNotBusy([source]);
            var rec = _volumes.InsertSnapshotRow(source);
            uint number = checked((uint)rec.Number);
            try
            {
                var engine = OpenEngine(source);
                // Not cancellable half-way: once the manifest names the snapshot, the row must stay.
                await engine.CreateAsync(number, CancellationToken.None).ConfigureAwait(false);
            }
            catch
            {
                _volumes.DeleteSnapshotRow(number);
                throw;
            }
            return _volumes.Get(number);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The snapshots of <paramref name="source"/>, oldest first (numbers grow with time).</summary>
    public IReadOnlyList<VolumeDetails> ListSnapshots(uint source) =>
        _volumes.Get(source).Snapshots.Select(_volumes.Get).ToList();

    /// <summary>The source's engine, opened and hooked on first use.</summary>
    private SnapshotEngine OpenEngine(uint source)
    {
        lock (_sync)
            if (_engines.TryGetValue(source, out var e)) return e.Engine;
        var device = _volumes.GetDevice(source);
        var engine = SnapshotEngine.Open(_volumes.SnapshotDirectory(source), device.Raw);
        var r = engine.Recovery;
        if (r.TruncatedIndexBytes > 0 || r.CorruptChunks.Count > 0)
            LogSnapshotRecovery(source, r.TruncatedIndexBytes, r.CorruptChunks.Count);
        foreach (var f in r.RemovedOrphans) LogLeftover("snapshot file", f);
        var entry = new EngineEntry(engine, device.AddHook(engine));
        lock (_sync) _engines[source] = entry;
        return engine;
    }

    private async Task CloseEngineAsync(uint source, bool deleteFiles)
    {
        EngineEntry? e;
        lock (_sync) _engines.Remove(source, out e);
        if (e is not null)
        {
            e.Hook.Dispose();
            await e.Engine.DisposeAsync().ConfigureAwait(false);
        }
        if (deleteFiles) DeleteDirectory(_volumes.SnapshotDirectory(source));
    }

    /// <summary>
    /// Start: open the engine of every volume with snapshot files, and make engines and rows agree
    /// (see the class comment). An engine snapshot without a row was never acknowledged (or its
    /// delete was): deleting it hands its preserved data to the older neighbour as usual.
    /// </summary>
    private async Task ReconcileSnapshotsAsync()
    {
        var records = _volumes.ListRecords();
        var plain = records.Where(r => r.Kind == VolumeKinds.Volume).Select(r => checked((uint)r.Number)).ToHashSet();
        var rowsBySource = records.Where(r => r.Kind == VolumeKinds.Snapshot)
            .GroupBy(r => r.SourceNumber is long s ? checked((uint)s) : 0u)
            .ToDictionary(g => g.Key, g => g.Select(r => checked((uint)r.Number)).ToHashSet());

        string root = Path.GetDirectoryName(_volumes.SnapshotDirectory(1))!;
        if (Directory.Exists(root))
            foreach (string dir in Directory.EnumerateDirectories(root))
            {
                bool ok = uint.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out uint n) && plain.Contains(n);
                if (ok) continue;
                LogLeftover("snapshot directory", dir);
                DeleteDirectory(dir);
            }

        foreach (uint source in plain)
        {
            rowsBySource.TryGetValue(source, out var rows);
            rows ??= [];
            if (!Directory.Exists(_volumes.SnapshotDirectory(source)))
            {
                foreach (uint n in rows) { LogSnapshotLost(n, source); _volumes.DeleteSnapshotRow(n); }
                continue;
            }
            var engine = OpenEngine(source);
            foreach (var s in engine.Snapshots.ToList())
                if (!rows.Contains(checked((uint)s.Id)))
                {
                    LogLeftover("snapshot", $"{_volumes.SnapshotDirectory(source)} id {s.Id}");
                    await engine.DeleteAsync(s.Id).ConfigureAwait(false);
                }
            var inEngine = engine.Snapshots.Select(s => s.Id).ToHashSet();
            foreach (uint n in rows)
                if (!inEngine.Contains(n)) { LogSnapshotLost(n, source); _volumes.DeleteSnapshotRow(n); }
        }
        // Rows whose source is gone (or not a plain volume) cannot be read.
        foreach (var (source, rows) in rowsBySource)
            if (!plain.Contains(source))
                foreach (uint n in rows) { LogSnapshotLost(n, source); _volumes.DeleteSnapshotRow(n); }
    }
}
