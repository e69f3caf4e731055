namespace Snapcat.Array.Snapshots;

/// <summary>
/// A snapshot seen as a read-only block device, for the NBD server (file restore and tape copy read
/// snapshots this way). Each chunk is read under the engine's chunk lock, so a read racing a source
/// write of the same chunk sees the old bytes (preserved or not yet overwritten), never the new ones.
/// Disposing the device does not delete the snapshot.
/// </summary>
public sealed class SnapshotDevice : IBlockDevice
{
    /// <summary>Chunks examined per extent query; NBD lets us answer for less than was asked.</summary>
    private const int MaxExtentChunks = 16384;

    private readonly SnapshotEngine _engine;

    internal SnapshotDevice(SnapshotEngine engine, long id)
    {
        _engine = engine;
        SnapshotId = id;
    }

    public long SnapshotId { get; }
    public long Size => _engine.Geometry.VolumeSize;
    public bool IsReadOnly => true;

    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default)
    {
        CheckRange(offset, buffer.Length);
        var g = _engine.Geometry;
        while (buffer.Length > 0)
        {
            long chunk = offset / g.ChunkSize;
            int inChunk = (int)(offset - g.ChunkOffset(chunk));
            int n = Math.Min(buffer.Length, g.ChunkLength(chunk) - inChunk);
            using (await _engine.Locks.LockAsync(chunk, chunk, ct).ConfigureAwait(false))
                await _engine.ReadChunkPartAsync(SnapshotId, chunk, inChunk, buffer[..n], ct).ConfigureAwait(false);
            buffer = buffer[n..];
            offset += n;
        }
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
        throw ReadOnly();

    public ValueTask TrimAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
        throw ReadOnly();

    public ValueTask WriteZeroesAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) =>
        throw ReadOnly();

    public ValueTask FlushAsync(CancellationToken ct = default) => ValueTask.CompletedTask;

    /// <summary>
    /// Chunks preserved as data are data, preserved zero chunks are holes, and runs of chunks that
    /// still live in the source take the source's own extents (one query per run).
    /// </summary>
    public async ValueTask<IReadOnlyList<BlockExtent>> GetExtentsAsync(long offset, long length, CancellationToken ct = default)
    {
        CheckRange(offset, length);
        var g = _engine.Geometry;
        var result = new List<BlockExtent>();
        long end = Math.Min(offset + length, Size);
        long pos = offset;
        int examined = 0;
        while (pos < end && examined < MaxExtentChunks)
        {
            var chain = _engine.Chain;
            int index = _engine.IndexOf(SnapshotId);
            long chunk = pos / g.ChunkSize;
            var store = SnapshotEngine.Locate(chain, index, chunk, out var kind);
            long runEnd = Math.Min(end, g.ChunkOffset(chunk) + g.ChunkLength(chunk));
            examined++;
            if (store is null)
            {
                // Extend over following chunks that also fall through to the source.
                while (runEnd < end && examined < MaxExtentChunks && SnapshotEngine.Locate(chain, index, runEnd / g.ChunkSize, out _) is null)
                {
                    runEnd = Math.Min(end, runEnd + g.ChunkSize);
                    examined++;
                }
                long p = pos;
                while (p < runEnd)
                {
                    var src = await _engine.Source.GetExtentsAsync(p, runEnd - p, ct).ConfigureAwait(false);
                    foreach (var e in src)
                    {
                        long eEnd = Math.Min(e.Offset + e.Length, runEnd);
                        Add(result, new BlockExtent(e.Offset, eEnd - e.Offset, e.Flags));
                        p = eEnd;
                    }
                    if (src.Count == 0) break;
                }
            }
            else
            {
                var flags = kind == ChunkKind.Zero ? ExtentFlags.Hole | ExtentFlags.Zero : ExtentFlags.Data;
                Add(result, new BlockExtent(pos, runEnd - pos, flags));
            }
            pos = runEnd;
        }
        return result;
    }

    private static void Add(List<BlockExtent> list, BlockExtent e)
    {
        if (e.Length <= 0) return;
        if (list.Count > 0 && list[^1].Flags == e.Flags && list[^1].Offset + list[^1].Length == e.Offset)
            list[^1] = list[^1] with { Length = list[^1].Length + e.Length };
        else
            list.Add(e);
    }

    private static UnauthorizedAccessException ReadOnly() => new("snapshots are read-only");

    private void CheckRange(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Size || length > Size - offset)
            throw new ArgumentOutOfRangeException(nameof(offset), $"range {offset}+{length} is outside the snapshot of {Size} bytes");
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
