namespace Snapcat.Array.Snapshots;

public sealed partial class SnapshotEngine
{
    /// <summary>
    /// Deletes snapshot <paramref name="id"/>. Its preserved chunks are handed to the older neighbour
    /// when the neighbour still needs them — it has not preserved that chunk itself, so today it reads
    /// the chunk through the deleted snapshot — and freed otherwise (with the files).
    ///
    /// Crash safety, in this order: (1) hand-overs are committed durably into the neighbour like any
    /// preservation, (2) the manifest without the snapshot replaces the old one, (3) the files go.
    /// A crash before (2) leaves the snapshot listed and the neighbour holding some chunks it would
    /// have found through the snapshot anyway (same bytes), so deleting again just continues. A crash
    /// after (2) leaves orphan files that the next open removes.
    /// </summary>
    public async Task DeleteAsync(long id, CancellationToken ct = default)
    {
        using var all = await _locks.LockAllAsync(ct).ConfigureAwait(false);
        CheckOpen();
        int k = IndexOf(id);
        var chain = _chain;
        var victim = chain[k];
        if (k > 0)
        {
            var older = chain[k - 1];
            var batch = new List<Task>();
            foreach (var (chunk, kind) in victim.Entries.OrderBy(e => e.Key).ToList())
            {
                if (older.Has(chunk)) continue;  // the neighbour kept its own, older, bytes
                if (victim.IsCorrupt(chunk))
                    throw new IOException($"snapshot {id}: chunk {chunk} that snapshot {older.Id} needs fails its checksum; not deleting");
                if (kind == ChunkKind.Zero)
                {
                    batch.Add(older.PreserveAsync(chunk, ReadOnlyMemory<byte>.Empty, zero: true, ct));
                }
                else
                {
                    var data = new byte[Geometry.ChunkLength(chunk)];
                    await victim.ReadAsync(Geometry.ChunkOffset(chunk), data, ct).ConfigureAwait(false);
                    batch.Add(older.PreserveAsync(chunk, data, zero: false, ct));
                }
                if (batch.Count >= 64)
                {
                    await Task.WhenAll(batch).ConfigureAwait(false);  // bounded memory, still grouped commits
                    batch.Clear();
                }
            }
            await Task.WhenAll(batch).ConfigureAwait(false);
        }
        var next = _manifest with { Snapshots = _manifest.Snapshots.Where(s => s.Id != id).ToList() };
        next.Save(_dir);
        _manifest = next;
        _chain = chain.Where(s => s.Id != id).ToArray();
        victim.DeleteFiles();
    }
}
