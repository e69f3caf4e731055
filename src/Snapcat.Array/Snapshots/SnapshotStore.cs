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
/// So N concurrent source writes cost two fsyncs, not 2N. If a commit fails, every waiter of the
/// group gets the error (the source write is then refused with EIO) and the store refuses further
/// preservation: its index tail is in an unknown state until the engine is reopened and recovers.
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
    private List<(SnapshotIndexRecord Record, TaskCompletionSource Done)> _queue = [];
    private bool _committing;
    private Exception? _failed;
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

    public static string DataFile(string dir, long id) => Path.Combine(dir, $"snap-{id}.data");
    public static string IndexFile(string dir, long id) => Path.Combine(dir, $"snap-{id}.idx");

    /// <summary>Creates empty files (constant time: ftruncate, no blocks allocated). The caller fsyncs the directory.</summary>
    public static SnapshotStore Create(string dir, long id, ChunkGeometry geometry)
    {
        string dp = DataFile(dir, id), ip = IndexFile(dir, id);
        var data = File.OpenHandle(dp, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite);
        var index = File.OpenHandle(ip, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite);
        // No fsync of the two files: they are empty, the manifest save that follows fsyncs the
        // directory (their names), and Open restores the data file's length if a crash lost it.
        RandomAccess.SetLength(data, geometry.VolumeSize);
        return new SnapshotStore(id, dp, ip, data, index, geometry);
    }

    public static SnapshotStore Open(string dir, long id, ChunkGeometry geometry, SnapshotRecoveryReport report)
    {
        string dp = DataFile(dir, id), ip = IndexFile(dir, id);
        var data = File.OpenHandle(dp, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        var index = File.OpenHandle(ip, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
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
        if (_failed is { } f) throw new IOException($"snapshot {Id} cannot preserve data after an earlier I/O error; reopen the array", f);
        uint crc = 0;
        if (!zero)
        {
            await RandomAccess.WriteAsync(_data, oldData, _geometry.ChunkOffset(chunk), ct).ConfigureAwait(false);
            crc = Crc32CHash.Compute(oldData.Span);
        }
        // Not cancellable from here on: once queued, the record is part of a group commit.
        await EnqueueCommit(new SnapshotIndexRecord(zero ? ChunkKind.Zero : ChunkKind.Data, chunk, crc)).ConfigureAwait(false);
    }

    private Task EnqueueCommit(SnapshotIndexRecord record)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool start;
        lock (_commitSync)
        {
            _queue.Add((record, done));
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
            List<(SnapshotIndexRecord Record, TaskCompletionSource Done)> group;
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
            try
            {
                if (_failed is not null) throw new IOException($"snapshot {Id} store failed earlier", _failed);
                // 1. The old data first: records must never point at data that could still be lost.
                if (group.Exists(g => g.Record.Kind == ChunkKind.Data)) RandomAccess.FlushToDisk(_data);
                // 2. Then the records, in one append and one fsync for the whole group.
                var bytes = new byte[group.Count * SnapshotIndexRecord.Size];
                for (int i = 0; i < group.Count; i++) group[i].Record.Write(bytes.AsSpan(i * SnapshotIndexRecord.Size));
                RandomAccess.Write(_index, bytes, _indexLength);
                RandomAccess.FlushToDisk(_index);
                _indexLength += bytes.Length;
                Interlocked.Increment(ref _commitGroups);
                // 3. Visible only once durable.
                foreach (var (rec, _) in group) _entries[rec.Chunk] = rec.Kind;
                foreach (var (_, d) in group) d.TrySetResult();
            }
            catch (Exception ex)
            {
                _failed ??= ex;
                foreach (var (_, d) in group) d.TrySetException(ex);
            }
        }
    }

    public void Dispose()
    {
        _data.Dispose();
        _index.Dispose();
    }

    public void DeleteFiles()
    {
        Dispose();
        File.Delete(DataPath);
        File.Delete(IndexPath);
    }
}
