using System.Buffers;
using Snapcat.Array.ChangeTracking;
using Snapcat.Array.Volumes;

namespace Snapcat.Array.Snapshots;

/// <summary>
/// Copy-on-write snapshots of one source volume (the second embodiment's snapshot function). Register
/// the engine as an <see cref="IVolumeWriteHook"/> of the source's volume device; give it the raw
/// source device (the one without hooks) to read old data from.
///
/// The chain: snapshots oldest → newest. A source write preserves the old chunk once, into the newest
/// snapshot only, if that snapshot has not preserved it yet — one extra copy whatever the number of
/// snapshots. Snapshot S reads chunk C from the first of S, S+1, …, newest that preserved C, else from
/// the live source (docs/snapshots.md walks through an example).
///
/// Storage under the engine's directory: <c>snapshots.json</c> (<see cref="SnapshotManifest"/>) and per
/// snapshot a sparse data file + index (<see cref="SnapshotStore"/>).
/// </summary>
public sealed partial class SnapshotEngine : IVolumeWriteHook, IAsyncDisposable
{
    private const int PreserveBatch = 64;

    private readonly string _dir;
    private readonly IBlockDevice _source;
    private readonly ChunkLockTable _locks = new();
    private SnapshotManifest _manifest;
    private volatile SnapshotStore[] _chain;
    private long _preservedChunks;
    private bool _disposed;

    private SnapshotEngine(string dir, IBlockDevice source, ChunkGeometry geometry, SnapshotManifest manifest, SnapshotStore[] chain, SnapshotRecoveryReport report)
    {
        _dir = dir;
        _source = source;
        Geometry = geometry;
        _manifest = manifest;
        _chain = chain;
        Recovery = report;
    }

    public ChunkGeometry Geometry { get; }

    public SnapshotRecoveryReport Recovery { get; }

    /// <summary>Snapshots, oldest first.</summary>
    public IReadOnlyList<SnapshotInfo> Snapshots => _manifest.Snapshots.ToArray();

    /// <summary>Chunks copied out of the source by copy-on-write since the engine was opened.</summary>
    public long PreservedChunks => Interlocked.Read(ref _preservedChunks);

    /// <summary>Index group commits (each = at most two fsyncs) since open; far fewer than preserved chunks under concurrency.</summary>
    public long CommitGroups => _chain.Sum(s => s.CommitGroups);

    public static SnapshotEngine Open(string directory, IBlockDevice source, int chunkSize = ChunkGeometry.DefaultChunkSize)
    {
        DurableFile.CreateDirectory(directory);
        var geometry = ChunkGeometry.For(source.Size, chunkSize);
        var manifest = SnapshotManifest.Load(directory);
        if (manifest is null)
        {
            manifest = new SnapshotManifest(1, source.Size, chunkSize, []);
            manifest.Save(directory);
        }
        else if (manifest.VolumeSize != source.Size || manifest.ChunkSize != chunkSize)
        {
            Throw.Conflict("snapshot.geometry_mismatch",
                $"the snapshots in {directory} belong to a volume of {manifest.VolumeSize} bytes in {manifest.ChunkSize}-byte chunks, not {source.Size} bytes in {chunkSize}-byte chunks");
        }

        var report = new SnapshotRecoveryReport();
        var chain = new List<SnapshotStore>();
        try
        {
            foreach (var s in manifest.Snapshots) chain.Add(SnapshotStore.Open(directory, s.Id, geometry, report));
        }
        catch
        {
            foreach (var s in chain) s.Dispose();
            throw;
        }
        var known = manifest.Snapshots.SelectMany(s => new[] { SnapshotStore.DataFile(directory, s.Id), SnapshotStore.IndexFile(directory, s.Id) }).ToHashSet();
        foreach (var f in Directory.EnumerateFiles(directory, "snap-*").ToList())
        {
            if (known.Contains(f)) continue;
            File.Delete(f);
            report.RemovedOrphans.Add(Path.GetFileName(f));
        }
        if (report.RemovedOrphans.Count > 0) DurableFile.SyncDirectory(directory);
        return new SnapshotEngine(directory, source, geometry, manifest, chain.ToArray(), report);
    }

    /// <summary>
    /// Creates snapshot <paramref name="id"/> (the array passes the volume number it assigned). Constant
    /// time whatever the volume size: waits for in-flight writes, flushes the source so the snapshot's
    /// point in time is durable, creates two empty files and rewrites the small manifest — nothing scans
    /// or copies the volume.
    /// </summary>
    public async Task<SnapshotInfo> CreateAsync(long id, CancellationToken ct = default)
    {
        using var all = await _locks.LockAllAsync(ct).ConfigureAwait(false);
        CheckOpen();
        if (id < 0) Throw.Invalid("snapshot.bad_id", $"snapshot id {id} is negative");
        if (_manifest.Snapshots.Exists(s => s.Id == id)) Throw.Conflict("snapshot.exists", $"snapshot {id} already exists");
        await _source.FlushAsync(ct).ConfigureAwait(false);
        var store = SnapshotStore.Create(_dir, id, Geometry);
        var info = new SnapshotInfo(id, DateTimeOffset.UtcNow);
        var next = _manifest with { Snapshots = [.. _manifest.Snapshots, info] };
        try
        {
            next.Save(_dir);  // the directory fsync inside also makes the two new files' names durable
        }
        catch
        {
            // The manifest still names the old list; the new files are orphans either way (Open removes them).
            try { store.DeleteFiles(); }
            catch (IOException) { }
            throw;
        }
        _manifest = next;
        _chain = [.. _chain, store];
        return info;
    }

    /// <summary>A block device showing snapshot <paramref name="id"/>; read-only (writable snapshots are not supported).</summary>
    public SnapshotDevice OpenDevice(long id)
    {
        CheckOpen();
        IndexOf(id);
        return new SnapshotDevice(this, id);
    }

    public async ValueTask<IDisposable?> BeforeChangeAsync(long offset, long length, CancellationToken ct)
    {
        var (first, last) = Geometry.ChunksOf(offset, length);
        if (last < first) return null;
        // Held until the source write completed (the lease): a snapshot read of these chunks waits,
        // so it sees either the old source bytes or the preserved copy, never the new bytes.
        var lease = await _locks.LockAsync(first, last, ct).ConfigureAwait(false);
        try
        {
            var chain = _chain;
            if (chain.Length == 0) return lease;
            var newest = chain[^1];
            // Concurrently, so the chunks of one write share a group commit; in batches, so a huge
            // TRIM does not hold a buffer per chunk of the volume at once.
            var work = new List<Task>();
            for (long c = first; c <= last; c++)
            {
                if (newest.Has(c)) continue;
                work.Add(PreserveAsync(newest, c, ct));
                if (work.Count == PreserveBatch)
                {
                    await Task.WhenAll(work).ConfigureAwait(false);
                    work.Clear();
                }
            }
            await Task.WhenAll(work).ConfigureAwait(false);
            return lease;
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    // Preservations are already durable when BeforeChangeAsync returns; nothing is pending at FLUSH.
    public ValueTask BeforeFlushAsync(CancellationToken ct) => ValueTask.CompletedTask;

    private async Task PreserveAsync(SnapshotStore store, long chunk, CancellationToken ct)
    {
        int len = Geometry.ChunkLength(chunk);
        byte[] buf = ArrayPool<byte>.Shared.Rent(len);
        try
        {
            var mem = buf.AsMemory(0, len);
            await _source.ReadAsync(Geometry.ChunkOffset(chunk), mem, ct).ConfigureAwait(false);
            bool zero = !mem.Span.ContainsAnyExcept((byte)0);  // holes stay holes in the snapshot
            await store.PreserveAsync(chunk, mem, zero, ct).ConfigureAwait(false);
            Interlocked.Increment(ref _preservedChunks);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }

    /// <summary>Where snapshot <paramref name="index"/> finds chunk <paramref name="chunk"/>: a store that preserved it, or null for the source.</summary>
    internal static SnapshotStore? Locate(SnapshotStore[] chain, int index, long chunk, out ChunkKind kind)
    {
        for (int j = index; j < chain.Length; j++)
            if (chain[j].TryGet(chunk, out kind)) return chain[j];
        kind = ChunkKind.Data;
        return null;
    }

    /// <summary>Whether any snapshot holds its own copy of <paramref name="chunk"/> (the source changed there since the oldest snapshot).</summary>
    public bool IsPreservedByAny(long chunk) => _chain.Any(s => s.Has(chunk));

    internal SnapshotStore[] Chain => _chain;

    internal IBlockDevice Source => _source;

    internal ChunkLockTable Locks => _locks;

    internal int IndexOf(long id)
    {
        var chain = _chain;
        for (int i = 0; i < chain.Length; i++)
            if (chain[i].Id == id) return i;
        Throw.NotFound("snapshot.not_found", $"snapshot {id} does not exist");
        return -1;
    }

    /// <summary>Reads snapshot <paramref name="id"/>'s bytes of one chunk; the caller holds the chunk's lock.</summary>
    internal async ValueTask ReadChunkPartAsync(long id, long chunk, int inChunk, Memory<byte> dest, CancellationToken ct)
    {
        var chain = _chain;
        var store = Locate(chain, IndexOf(id), chunk, out var kind);
        long offset = Geometry.ChunkOffset(chunk) + inChunk;
        if (store is null)
            await _source.ReadAsync(offset, dest, ct).ConfigureAwait(false);
        else if (store.IsCorrupt(chunk))
            throw new IOException($"snapshot {store.Id}: preserved chunk {chunk} fails its checksum");
        else if (kind == ChunkKind.Zero)
            dest.Span.Clear();
        else
            await store.ReadAsync(offset, dest, ct).ConfigureAwait(false);
    }

    private void CheckOpen() => ObjectDisposedException.ThrowIf(_disposed, this);

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        using var all = await _locks.LockAllAsync().ConfigureAwait(false);
        _disposed = true;
        foreach (var s in _chain) s.Dispose();
    }
}
