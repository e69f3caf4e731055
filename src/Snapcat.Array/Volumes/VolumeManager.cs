using System.Globalization;
using Microsoft.Extensions.Logging;
using Snapcat.Array.Integrity;
using Snapcat.Array.ManagementTable;
using Snapcat.Nbd;

namespace Snapcat.Array.Volumes;

/// <summary>
/// The volume management function 361: volumes as sparse files under <c>volumes/</c>, their rows in
/// the management table, port/LUN assignments and volume information.
///
/// Invariant between files and rows: a row is only ever written after its file is durable, and a
/// row is deleted before its file. So after any crash every row has its file, and a file without a
/// row is garbage from an interrupted create or delete; <see cref="Open"/> removes such orphans.
/// </summary>
public sealed partial class VolumeManager : IAsyncDisposable
{
    public const string TableFileName = "array.db";
    public const string VolumesFolder = "volumes";
    public const string SnapshotsFolder = "snapshots";
    public const string MirrorsFolder = "mirrors";

    private readonly VolumeTable _table;
    private readonly string _volumesDir;
    private readonly string _dataDir;
    private readonly HashSet<string> _ports;
    private readonly ILogger _logger;
    private readonly Dictionary<uint, VolumeDevice> _devices = [];
    private readonly Dictionary<uint, int> _writers = [];
    private readonly Lock _deviceGate = new();

    private VolumeManager(VolumeTable table, string dataDir, string deviceId, IEnumerable<NbdAddress> ports, ILogger? logger)
    {
        _table = table;
        _dataDir = dataDir;
        _volumesDir = Path.Combine(dataDir, VolumesFolder);
        DeviceId = deviceId;
        DataPorts = ports.ToList();
        _ports = DataPorts.Select(p => p.ToString()).ToHashSet(StringComparer.Ordinal);
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    public string DeviceId { get; }
    public IReadOnlyList<NbdAddress> DataPorts { get; }
    public VolumeTable Table => _table;

    /// <summary>The content digests kept beside the volumes' information (docs/integrity.md).</summary>
    public DigestStore Digests { get; private set; } = null!;

    public static VolumeManager Open(string dataDirectory, string deviceId, IEnumerable<NbdAddress> dataPorts, ILogger? logger = null)
    {
        string volumes = Path.Combine(dataDirectory, VolumesFolder);
        DurableFile.CreateDirectory(dataDirectory);  // 0700: volumes and the table are no one else's business
        DurableFile.CreateDirectory(volumes);
        var table = VolumeTable.Open(Path.Combine(dataDirectory, TableFileName));
        var mgr = new VolumeManager(table, dataDirectory, deviceId, dataPorts, logger);
        try
        {
            mgr.RemoveOrphans();
            // After the orphan sweep: digest files of volumes that are gone are removed with them.
            mgr.Digests = DigestStore.Open(dataDirectory, table.ListVolumeNumbers().Select(n => checked((uint)n)).ToList(), logger);
        }
        catch
        {
            table.Dispose();
            throw;
        }
        return mgr;
    }

    public static string FileName(uint number) => number.ToString("D6", CultureInfo.InvariantCulture) + ".vol";

    /// <summary>Free and total bytes of the data directory's file system; null when it cannot be read.</summary>
    public FileSystemSpace? DataFileSystemSpace() => FileSystemSpace.TryRead(_dataDir, out _);

    public string VolumePath(uint number) => Path.Combine(_volumesDir, FileName(number));

    /// <summary>Where the snapshot engine of volume <paramref name="source"/> keeps its chain (docs/snapshots.md).</summary>
    public string SnapshotDirectory(uint source) => Path.Combine(_dataDir, SnapshotsFolder, source.ToString("D6", CultureInfo.InvariantCulture));

    /// <summary>Where the mirror pair primary → secondary keeps its state and change bitmaps (docs/mirror.md).</summary>
    public string MirrorDirectory(uint primary, uint secondary) => Path.Combine(_dataDir, MirrorsFolder,
        primary.ToString("D6", CultureInfo.InvariantCulture) + "-" + secondary.ToString("D6", CultureInfo.InvariantCulture));

    // ---- volumes ----

    public VolumeDetails Create(long size)
    {
        if (size <= 0 || size % 512 != 0)
            Throw.Invalid("volume.bad_size", $"volume size {size} bytes is not valid: it must be a positive multiple of 512 bytes");
        return _table.Locked(() =>
        {
            uint number = checked((uint)_table.NextVolumeNumber());
            string path = VolumePath(number);
            // A stale file here can only be an orphan that the startup sweep could not remove; its
            // number was never committed, so replacing it is safe.
            if (File.Exists(path)) DurableFile.DeleteDurably(path);

            // Order: (1) sparse file created and fsynced (FileBlockDevice.Create), (2) directory fsynced
            // so the name survives, (3) row committed. A crash after (1)/(2) but before (3) leaves a
            // file without a row: an orphan that Open() deletes, and the API never acknowledged it.
            FileBlockDevice file;
            try
            {
                file = FileBlockDevice.Create(path, size);
            }
            catch (IOException ex)
            {
                throw new SnapcatException(ErrorKind.Internal, "volume.create_failed",
                    $"cannot create the file of volume {number} ({size} bytes) in {_volumesDir}: {ex.Message}", ex);
            }
            try
            {
                DurableFile.SyncDirectory(_volumesDir);
                var rec = new VolumeRecord
                {
                    Number = number,
                    Size = size,
                    Kind = VolumeKinds.Volume,
                    Created = VolumeTable.FormatTime(DateTimeOffset.UtcNow),
                };
                _table.Transaction(tx => { _table.InsertVolume(rec, tx); return 0; });
            }
            catch
            {
                file.Dispose();
                // Without a row the file is an orphan whatever happens; a failed fsync here (the
                // disk that just refused the row) must not hide the original error.
                try { DurableFile.DeleteDurably(path); }
                catch (IOException) { }
                throw;
            }
            lock (_deviceGate) _devices[number] = NewDevice(number, file);
            return Details(number)!;
        });
    }

    public IReadOnlyList<VolumeDetails> List() =>
        _table.Read(t => t.ListVolumeNumbers().Select(n => Details(checked((uint)n))!).ToList());

    public VolumeDetails Get(uint number) =>
        _table.Read(_ => Details(number)) ?? throw NotFound(number);

    public long Count => _table.Read(t => t.CountVolumes());

    /// <summary>
    /// Deletes a volume or a snapshot row. Without <paramref name="force"/> it is refused while the
    /// volume is assigned to a port, is a mirror primary or destination, or has snapshots. With force
    /// those links go too, and so do its snapshots' rows (a snapshot's data lives beside its source
    /// and cannot outlive it). The copy functions drop the engines' files afterwards.
    /// Order: the rows are deleted (committed) first, then the file; a crash in between leaves an
    /// orphan file that Open() removes (and orphan engine files that the copy functions remove).
    /// </summary>
    public async Task<DeletedVolume> DeleteAsync(uint number, bool force)
    {
        var deleted = _table.Locked(() =>
        {
            var v = _table.GetVolume(number) ?? throw NotFound(number);
            var snaps = _table.SnapshotsOf(number);
            var dests = _table.MirrorDestinationsOf(number);
            var prims = _table.MirrorPrimariesOf(number);
            if (!force)
            {
                var problems = new List<string>();
                var assigned = _table.AssignmentsOf(number);
                if (assigned.Count > 0)
                    problems.Add("it is assigned to " + string.Join(", ", assigned.Select(a => $"port {a.Port} LUN {a.Lun}")) + " (release it first)");
                if (dests.Count > 0) problems.Add("it is the mirror primary of volume(s) " + string.Join(", ", dests));
                if (prims.Count > 0) problems.Add("it is a mirror destination of volume(s) " + string.Join(", ", prims));
                if (snaps.Count > 0) problems.Add("it has snapshot(s) " + string.Join(", ", snaps) + " (force deletes them too)");
                if (problems.Count > 0)
                    Throw.Conflict("volume.in_use", $"volume {number} cannot be deleted: {string.Join("; ", problems)}. Use force to delete it anyway.");
            }
            _table.Transaction(tx =>
            {
                foreach (long snap in snaps) _table.DeleteVolume(snap, tx);
                _table.DeleteVolume(number, tx);
                return 0;
            });
            return new DeletedVolume(number, v.Kind,
                v.SourceNumber is long src ? checked((uint)src) : null,
                snaps.Select(x => checked((uint)x)).ToList(),
                dests.Select(x => checked((uint)x)).ToList(),
                prims.Select(x => checked((uint)x)).ToList());
        });
        // The digests describe data that is gone (rows first, then digests, then the file: a crash in between leaves
        // digest files without a row, which Open removes).
        foreach (uint snap in deleted.Snapshots) Digests.Forget(snap);
        Digests.Forget(number);
        if (deleted.Kind == VolumeKinds.Snapshot) return deleted;  // no file of its own
        VolumeDevice? dev;
        lock (_deviceGate)
        {
            _devices.Remove(number, out dev);
            _writers.Remove(number);
        }
        // Forced delete with open connections: their I/O fails from here on (the file is gone).
        if (dev is not null) await dev.CloseAsync().ConfigureAwait(false);
        File.Delete(VolumePath(number));
        DurableFile.SyncDirectory(_volumesDir);
        return deleted;
    }

    // ---- devices ----

    /// <summary>The volume's one shared device (opened on first use).</summary>
    public VolumeDevice GetDevice(uint number)
    {
        lock (_deviceGate)
        {
            if (_devices.TryGetValue(number, out var d)) return d;
        }
        return _table.Read(t =>
        {
            var v = t.GetVolume(number) ?? throw NotFound(number);
            if (v.Kind == VolumeKinds.Snapshot)
                Throw.Invalid("volume.is_snapshot", $"volume {number} is a snapshot of volume {v.SourceNumber}; it has no volume file of its own");
            lock (_deviceGate)
            {
                if (_devices.TryGetValue(number, out var d)) return d;
                string path = VolumePath(number);
                if (!File.Exists(path))
                    Throw.Internal("volume.file_missing", $"volume {number} is in the management table but its file {path} is missing");
                d = NewDevice(number, FileBlockDevice.Open(path));
                _devices[number] = d;
                return d;
            }
        });
    }

    /// <summary>Every volume device carries the digest store's hook: the first change after a seal drops the digest before it lands.</summary>
    private VolumeDevice NewDevice(uint number, FileBlockDevice file)
    {
        var d = new VolumeDevice(number, file);
        d.DigestHook = Digests.HookFor(number);
        d.AddHook(d.DigestHook);
        return d;
    }

    /// <summary>Counts a writer (a read-write NBD connection) until the returned callback runs.</summary>
    public Func<ValueTask> AddWriter(uint number)
    {
        lock (_deviceGate) _writers[number] = _writers.GetValueOrDefault(number) + 1;
        return () =>
        {
            lock (_deviceGate)
            {
                if (_writers.TryGetValue(number, out int n))
                {
                    if (n <= 1) _writers.Remove(number);
                    else _writers[number] = n - 1;
                }
            }
            return ValueTask.CompletedTask;
        };
    }

    public int OpenWriters(uint number)
    {
        lock (_deviceGate) return _writers.GetValueOrDefault(number);
    }

    private VolumeDetails? Details(uint number)
    {
        var v = _table.GetVolume(number);
        if (v is null) return null;
        long allocated = 0;
        string file = v.Kind == VolumeKinds.Snapshot && v.SourceNumber is long src
            ? Snapshots.SnapshotStore.DataFile(SnapshotDirectory(checked((uint)src)), number)   // the old data it preserved
            : VolumePath(number);
        try { if (File.Exists(file) || v.Kind != VolumeKinds.Snapshot) allocated = FileAllocation.AllocatedBytes(file); }
        catch (IOException ex) { LogAllocationFailed(number, ex.Message); }
        return new VolumeDetails(
            number, v.Size, allocated, v.Kind,
            v.SourceNumber is long s ? checked((uint)s) : null,
            DateTimeOffset.Parse(v.Created, CultureInfo.InvariantCulture),
            _table.AssignmentsOf(number),
            _table.MirrorDestinationsOf(number).Select(x => checked((uint)x)).ToList(),
            _table.SnapshotsOf(number).Select(x => checked((uint)x)).ToList(),
            v.HasVolumeInfo);
    }

    private void RemoveOrphans()
    {
        var known = _table.ListVolumes().Where(v => v.Kind == VolumeKinds.Volume).Select(v => v.Number).ToHashSet();
        int removed = 0;
        foreach (string f in Directory.EnumerateFiles(_volumesDir).ToList())
        {
            string name = Path.GetFileName(f);
            bool isVolume = name.EndsWith(".vol", StringComparison.Ordinal)
                && long.TryParse(name[..^4], NumberStyles.None, CultureInfo.InvariantCulture, out long n)
                && known.Contains(n);
            if (isVolume) continue;
            LogOrphanRemoved(f);
            File.Delete(f);
            removed++;
        }
        if (removed > 0) DurableFile.SyncDirectory(_volumesDir);
        foreach (long n in _table.ListVolumes().Where(v => v.Kind == VolumeKinds.Volume).Select(v => v.Number))
            if (!File.Exists(VolumePath(checked((uint)n))))
                LogFileMissing(n, VolumePath(checked((uint)n)));
    }

    private static SnapcatException NotFound(uint number) =>
        new(ErrorKind.NotFound, "volume.not_found", $"volume {number} does not exist on this array");

    public async ValueTask DisposeAsync()
    {
        VolumeDevice[] devs;
        lock (_deviceGate)
        {
            devs = [.. _devices.Values];
            _devices.Clear();
        }
        foreach (var d in devs)
        {
            await d.FlushAsync().ConfigureAwait(false);
            await d.CloseAsync().ConfigureAwait(false);
        }
        _table.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "removed orphan file {Path} (an interrupted create or delete)")]
    private partial void LogOrphanRemoved(string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "volume {Number} is in the management table but its file {Path} is missing")]
    private partial void LogFileMissing(long number, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not read the allocation of volume {Number}: {Reason}")]
    private partial void LogAllocationFailed(uint number, string reason);
}
