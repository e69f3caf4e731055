using Microsoft.Extensions.Logging;
using Snapcat.Array.ManagementTable;
using Snapcat.Array.Mirror;
using Snapcat.Array.Snapshots;
using Snapcat.Array.Volumes;
using Snapcat.Core.Jobs;

namespace Snapcat.Array.CopyFunctions;

/// <summary>
/// The array's copy functions wired to its volumes: one <see cref="SnapshotEngine"/> per source volume
/// that has snapshots (hook on the source's device, chain under <c>snapshots/NNNNNN/</c>), one
/// <see cref="MirrorPair"/> per entry of a copy destination list (hooks on both devices, state under
/// <c>mirrors/PPPPPP-SSSSSS/</c>), and the copies, restores and rollbacks as jobs.
///
/// The management table is the truth about which snapshots and pairs exist; engine files are made to
/// agree with it at start (<see cref="OpenAsync"/>): snapshots or pair directories without a row are
/// leftovers of an interrupted create/delete and are removed, rows whose engine data is gone are
/// reported and dropped. Structural changes (snapshot create/delete, destination add/remove, volume
/// delete, starting an order) are serialised by one gate; copies run outside it.
/// </summary>
public sealed partial class CopyFunctionService : IAsyncDisposable
{
    private readonly VolumeManager _volumes;
    private readonly JobRegistry _jobs;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _sync = new();
    private readonly Dictionary<uint, EngineEntry> _engines = [];
    private readonly Dictionary<(uint Primary, uint Secondary), PairEntry> _pairs = [];
    private readonly Dictionary<uint, string> _busy = [];   // volume -> what runs on it
    private readonly HashSet<Job> _running = [];
    private bool _disposed;

    private sealed record EngineEntry(SnapshotEngine Engine, IDisposable Hook);

    private sealed class PairEntry(MirrorPair pair, IDisposable primaryHook, IDisposable secondaryHook)
    {
        public MirrorPair Pair { get; } = pair;
        public IDisposable PrimaryHook { get; } = primaryHook;
        public IDisposable SecondaryHook { get; } = secondaryHook;
        public string? JobId { get; set; }
        public string? LastError { get; set; }
        public int OperationsSinceOpen { get; set; }
    }

    private CopyFunctionService(VolumeManager volumes, JobRegistry jobs, ILogger? logger)
    {
        _volumes = volumes;
        _jobs = jobs;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    public JobRegistry Jobs => _jobs;

    /// <summary>Opens every snapshot engine and mirror pair of the array (engines recover from a crash here).</summary>
    public static async Task<CopyFunctionService> OpenAsync(VolumeManager volumes, JobRegistry jobs, ILogger? logger = null)
    {
        var s = new CopyFunctionService(volumes, jobs, logger);
        try
        {
            await s.ReconcileSnapshotsAsync().ConfigureAwait(false);
            s.ReconcileMirrors();
        }
        catch
        {
            await s.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return s;
    }

    /// <summary>What an NBD export of <paramref name="number"/> serves: the volume, or for a snapshot its read-only snapshot device.</summary>
    public IBlockDevice OpenExportDevice(uint number)
    {
        var rec = _volumes.GetRecord(number);
        if (rec.Kind != VolumeKinds.Snapshot) return _volumes.GetDevice(number);
        uint source = checked((uint)(rec.SourceNumber ?? throw new SnapcatException(ErrorKind.NotFound, "snapshot.no_source",
            $"snapshot {number} has lost its source volume")));
        EngineEntry? e;
        lock (_sync) _engines.TryGetValue(source, out e);
        if (e is null)
            Throw.NotFound("snapshot.not_found", $"snapshot {number} is not open yet (it is being created)");
        return e.Engine.OpenDevice(number);
    }

    private void MarkBusy(string what, params uint[] numbers)
    {
        lock (_sync)
        {
            foreach (uint n in numbers)
                if (_busy.TryGetValue(n, out string? other))
                    Throw.Conflict("volume.busy", $"volume {n} is busy: {other}; wait for it to finish or cancel that job");
            foreach (uint n in numbers) _busy[n] = what;
        }
    }

    private void Unbusy(params uint[] numbers)
    {
        lock (_sync)
            foreach (uint n in numbers) _busy.Remove(n);
    }

    private void CheckNotBusy(IEnumerable<uint> numbers)
    {
        lock (_sync)
            foreach (uint n in numbers)
                if (_busy.TryGetValue(n, out string? what))
                    Throw.Conflict("volume.busy", $"volume {n} is busy: {what}; wait for it to finish or cancel that job");
    }

    /// <summary>
    /// Clean stop: running copies are cancelled (they end as failed, the next copy redoes what they
    /// did not finish), then pairs save their change bitmaps as trusted and engines close.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Job[] running;
        lock (_sync)
        {
            if (_disposed) return;
            _disposed = true;
            running = [.. _running];
        }
        foreach (var j in running) j.Cancel();
        try
        {
            await Task.WhenAll(running.Select(j => j.Completion)).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A pair's DisposeAsync below still waits for its copy; the engines cannot be closed under it.
        }
        PairEntry[] pairs;
        EngineEntry[] engines;
        lock (_sync)
        {
            pairs = [.. _pairs.Values];
            engines = [.. _engines.Values];
            _pairs.Clear();
            _engines.Clear();
        }
        foreach (var p in pairs)
        {
            p.PrimaryHook.Dispose();
            p.SecondaryHook.Dispose();
            await p.Pair.DisposeAsync().ConfigureAwait(false);
        }
        foreach (var e in engines)
        {
            e.Hook.Dispose();
            await e.Engine.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static void DeleteDirectory(string dir)
    {
        if (!Directory.Exists(dir)) return;
        Directory.Delete(dir, recursive: true);
        DurableFile.SyncDirectory(Path.GetDirectoryName(dir)!);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "removed {What} left by an interrupted create or delete: {Path}")]
    private partial void LogLeftover(string what, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "snapshot {Number} of volume {Source} is in the management table but its engine data is gone; dropping the row")]
    private partial void LogSnapshotLost(uint number, uint source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "mirror {Primary} -> {Secondary}: the array stopped during a copy; reported failed, next copy is full")]
    private partial void LogInterruptedCopy(uint primary, uint secondary);

    [LoggerMessage(Level = LogLevel.Warning, Message = "snapshots of volume {Source}: recovery cut {Bytes} bytes of torn index tail, {Corrupt} corrupt chunk(s)")]
    private partial void LogSnapshotRecovery(uint source, long bytes, int corrupt);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} {Kind}: {Message}")]
    private partial void LogJob(string jobId, string kind, string message);
}
