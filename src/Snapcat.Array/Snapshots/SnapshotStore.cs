using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;
using Snapcat.Array.ChangeTracking;
using Snapcat.Core.VolumeInformation;

namespace Snapcat.Array.Snapshots;

/// <summary>
/// The preserved chunks of one snapshot: <c>snap-ID.data</c>, a sparse file as large as the source
/// where chunk N's old bytes sit at N × chunk size (no allocator, no fragmentation bookkeeping; the
/// file only occupies what was preserved), and <c>snap-ID.idx</c>, the append-only list of
/// <see cref="SnapshotIndexRecord"/>s saying which chunks are preserved.
///
/// Write path and failure policy (the durability rule: old data and its index entry are on
/// disk before the source's new data can be):
/// <list type="number">
/// <item>the preserver pwrites the old chunk into the data file, then queues an index record;</item>
/// <item>one committer per store takes every queued record (a group), fsyncs the data file — this
///   covers every pwrite that completed before its record was queued — then appends the group's
///   records in one write and fsyncs the index;</item>
/// <item>only then are the records visible in memory and the preservers released, and only then
///   does the hook let the source write proceed.</item>
/// </list>
/// So N concurrent source writes cost two fsyncs, not 2N.
///
/// A failure refuses only the chunks it touched, never the store for good (a full disk must not make
/// a volume read-only until the array restarts): every waiter of the failed group gets the error (the
/// source write is refused, its chunk stays unpreserved, and the next write of it tries again), then
/// <list type="bullet">
/// <item>a failed pwrite of old data (ENOSPC) fails that one preservation, nothing was queued;</item>
/// <item>a failed index append or index fsync is undone: the index is cut back to its last committed
///   length and fsynced, so its tail is known again. Only if that too fails is the store latched
///   (refusing preservation until the engine is reopened and recovers from the file);</item>
/// <item>a failed data fsync may have dropped any data page written since the last good fsync (Linux
///   marks them clean after a writeback error), including pages of preservations whose records sit
///   in the next group. So the data fsync counts an epoch: a record whose pwrite began before a failed
///   data fsync is refused too, never committed pointing at bytes that may be gone.</item>
/// </list>
/// Chunks already committed are never touched by any of this, so every snapshot stays readable.
///
/// Recovery: data is fsynced before any record naming it is written, so a record with a valid CRC
/// always points at durable data; a crash mid-append leaves a torn tail that fails the record CRC
/// and is cut off. Data written for a record that never made it is an orphan nobody reads, and is
/// overwritten if that chunk is preserved again. The data CRC is verified as a second line of defence
/// against media errors; a chunk that fails it is reported, not silently served.
/// </summary>
internal sealed class SnapshotStore : IDisposable
{
    private readonly SafeFileHandle _data;
    private readonly SafeFileHandle _index;
    private readonly ChunkGeometry _geometry;
    private readonly ConcurrentDictionary<long, ChunkKind> _entries = new();
    private readonly ConcurrentDictionary<long, byte> _corrupt = new();
    private readonly object _commitSync = new();
    private List<Pending> _queue = [];
    private bool _committing;
    private Exception? _failed;
    private long _dataEpoch;  // bumped by each failed data fsync
    private long _indexLength;
    private long _commitGroups;

    private SnapshotStore(long id, string dataPath, string indexPath, SafeFileHandle data, SafeFileHandle index, ChunkGeometry geometry)
    {
        Id = id;
        DataPath = dataPath;
        IndexPath = indexPath;
        _data = data;
        _index = index;
        _geometry = geometry;
    }

    public long Id { get; }
    public string DataPath { get; }
    public string IndexPath { get; }
    public long CommitGroups => Interlocked.Read(ref _commitGroups);
    public int PreservedChunkCount => _entries.Count;

    /// <summary>A record waiting for its group commit; <paramref name="Epoch"/> = the data epoch when its pwrite began.</summary>
    private readonly record struct Pending(SnapshotIndexRecord Record, TaskCompletionSource Done, long Epoch);

    public static string DataFile(string dir, long id) => Path.Combine(dir, $"snap-{id}.data");
    public static string IndexFile(string dir, long id) => Path.Combine(dir, $"snap-{id}.idx");

    /// <summary>Creates empty files (constant time: ftruncate, no blocks allocated). The caller fsyncs the directory.</summary>
    public static SnapshotStore Create(string dir, long id, ChunkGeometry geometry)
    {
        string dp = DataFile(dir, id), ip = IndexFile(dir, id);
        // 0600: the preserved chunks are a host's old data.
        var data = DurableFile.OpenPrivate(dp, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite);
        var index = DurableFile.OpenPrivate(ip, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite);
        // No fsync of the two files: they are empty, the manifest save that follows fsyncs the
        // directory (their names), and Open restores the data file's length if a crash lost it.
        RandomAccess.SetLength(data, geometry.VolumeSize);
        return new SnapshotStore(id, dp, ip, data, index, geometry);
    }

    public static SnapshotStore Open(string dir, long id, ChunkGeometry geometry, SnapshotRecoveryReport report)
    {
        string dp = DataFile(dir, id), ip = IndexFile(dir, id);
        var data = DurableFile.OpenPrivate(dp, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        var index = DurableFile.OpenPrivate(ip, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        if (RandomAccess.GetLength(data) != geometry.VolumeSize) RandomAccess.SetLength(data, geometry.VolumeSize);
        var store = new SnapshotStore(id, dp, ip, data, index, geometry);
        store.Recover(report);
        return store;
    }

    private void Recover(SnapshotRecoveryReport report)
    {
        long length = RandomAccess.GetLength(_index);
        var buf = new byte[Math.Max(SnapshotIndexRecord.Size, (int)Math.Min(length, 1 << 20) / SnapshotIndexRecord.Size * SnapshotIndexRecord.Size)];
        var chunk = new byte[_geometry.ChunkSize];
        long pos = 0;
        while (pos < length)
        {
            int n = RandomAccess.Read(_index, buf, pos);
            int whole = n / SnapshotIndexRecord.Size * SnapshotIndexRecord.Size;
            int i = 0;
            for (; i < whole; i += SnapshotIndexRecord.Size)
            {
                if (!SnapshotIndexRecord.TryRead(buf.AsSpan(i), out var rec) || rec.Chunk >= _geometry.ChunkCount)
                    goto tornTail;
                if (rec.Kind == ChunkKind.Data)
                {
                    var c = chunk.AsSpan(0, _geometry.ChunkLength(rec.Chunk));
                    RandomAccess.Read(_data, c, _geometry.ChunkOffset(rec.Chunk));
                    if (Crc32CHash.Compute(c) != rec.DataCrc)
                    {
                        // Keep the entry (falling through to newer data would serve wrong bytes
                        // silently) but make reads of it fail loudly.
                        report.CorruptChunks.Add((Id, rec.Chunk));
                        _corrupt[rec.Chunk] = 0;
                    }
                }
                _entries[rec.Chunk] = rec.Kind;
                report.Records++;
            }
            pos += i;
            if (whole == 0) break;  // fewer bytes than one record remain: a torn tail
        }
    tornTail:
        if (pos < length)
        {
            // A crash during an append: the source write it was guarding never started, so
            // dropping the record is exactly right. Cut it off so later appends follow valid ones.
            report.TruncatedIndexBytes += length - pos;
            RandomAccess.SetLength(_index, pos);
            RandomAccess.FlushToDisk(_index);
        }
        _indexLength = pos;
    }

    public bool IsCorrupt(long chunk) => _corrupt.ContainsKey(chunk);

    public bool Has(long chunk) => _entries.ContainsKey(chunk);

    public bool TryGet(long chunk, out ChunkKind kind) => _entries.TryGetValue(chunk, out kind);

    public IEnumerable<KeyValuePair<long, ChunkKind>> Entries => _entries;

    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct)
    {
        while (buffer.Length > 0)
        {
            int n = await RandomAccess.ReadAsync(_data, buffer, offset, ct).ConfigureAwait(false);
            if (n == 0) { buffer.Span.Clear(); return; }
            buffer = buffer[n..];
            offset += n;
        }
    }

    /// <summary>Preserves a chunk's old bytes (or records that they were zero); completes once durable.</summary>
    public async Task PreserveAsync(long chunk, ReadOnlyMemory<byte> oldData, bool zero, CancellationToken ct)
    {
        if (_failed is { } f) throw new IOException($"snapshot {Id} cannot preserve data: its index could not be restored after an I/O error ({f.Message}); restart the array", f);
        uint crc = 0;
        long epoch = Interlocked.Read(ref _dataEpoch);
        if (!zero)
        {
            await RandomAccess.WriteAsync(_data, oldData, _geometry.ChunkOffset(chunk), ct).ConfigureAwait(false);
            crc = Crc32CHash.Compute(oldData.Span);
        }
        // Not cancellable from here on: once queued, the record is part of a group commit.
        await EnqueueCommitAsync(new SnapshotIndexRecord(zero ? ChunkKind.Zero : ChunkKind.Data, chunk, crc), epoch).ConfigureAwait(false);
    }

    private Task EnqueueCommitAsync(SnapshotIndexRecord record, long epoch)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool start;
        lock (_commitSync)
        {
            _queue.Add(new Pending(record, done, epoch));
            start = !_committing;
            _committing = true;
        }
        if (start) _ = Task.Run(CommitLoop);
        return done.Task;
    }

    private void CommitLoop()
    {
        while (true)
        {
            List<Pending> group;
            lock (_commitSync)
            {
                if (_queue.Count == 0)
                {
                    _committing = false;
                    return;
                }
                group = _queue;
                _queue = [];
            }
            Commit(group);
        }
    }

    private void Commit(List<Pending> group)
    {
        if (_failed is not null)
        {
            Fail(group, new IOException($"snapshot {Id}: the index could not be restored after an earlier I/O error; restart the array", _failed));
            return;
        }
        // Data whose pwrite began before a failed data fsync may be gone from the page cache.
        long epoch = Interlocked.Read(ref _dataEpoch);
        var stale = group.FindAll(p => p.Record.Kind == ChunkKind.Data && p.Epoch != epoch);
        if (stale.Count > 0)
        {
            Fail(stale, new IOException($"snapshot {Id}: an fsync of the preserved data failed while these chunks were being written; the write is refused and can be retried"));
            group = group.FindAll(p => !(p.Record.Kind == ChunkKind.Data && p.Epoch != epoch));
            if (group.Count == 0) return;
        }

        // 1. The old data first: records must never point at data that could still be lost.
        try
        {
            if (group.Exists(g => g.Record.Kind == ChunkKind.Data)) RandomAccess.FlushToDisk(_data);
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref _dataEpoch);
            Fail(group, ex);
            return;
        }

        // 2. Then the records, in one append and one fsync for the whole group.
        var bytes = new byte[group.Count * SnapshotIndexRecord.Size];
        for (int i = 0; i < group.Count; i++) group[i].Record.Write(bytes.AsSpan(i * SnapshotIndexRecord.Size));
        try
        {
            RandomAccess.Write(_index, bytes, _indexLength);
            RandomAccess.FlushToDisk(_index);
        }
        catch (Exception ex)
        {
            // Part of the append may be on disk (a short write before ENOSPC, or a written-but-unsynced
            // tail): cut the index back to what is committed, so the next append follows valid records.
            try
            {
                RandomAccess.SetLength(_index, _indexLength);
                RandomAccess.FlushToDisk(_index);
            }
            catch (Exception undo)
            {
                _failed ??= undo;
            }
            Fail(group, ex);
            return;
        }
        _indexLength += bytes.Length;
        Interlocked.Increment(ref _commitGroups);
        // 3. Visible only once durable.
        foreach (var p in group) _entries[p.Record.Chunk] = p.Record.Kind;
        foreach (var p in group) p.Done.TrySetResult();
    }

    private static void Fail(List<Pending> group, Exception ex)
    {
        foreach (var p in group) p.Done.TrySetException(ex);
    }

    public void Dispose()
    {
        _data.Dispose();
        _index.Dispose();
    }

    /// <summary>Closes and removes both files, then fsyncs their directory so the removal (and the freed space) is durable.</summary>
    public void DeleteFiles()
    {
        Dispose();
        File.Delete(DataPath);
        File.Delete(IndexPath);
        DurableFile.SyncDirectory(Path.GetDirectoryName(DataPath)!);
    }
}
