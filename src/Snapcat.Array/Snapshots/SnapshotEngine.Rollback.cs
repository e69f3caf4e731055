namespace Snapcat.Array.Snapshots;

public sealed partial class SnapshotEngine
{
    /// <summary>
    /// Rolls the source back to snapshot <paramref name="id"/> by writing, through
    /// <paramref name="target"/> (the source's hooked volume device, so this engine preserves into the
    /// newest snapshot and the mirror's change tracking sees the writes), every chunk that changed
    /// since the snapshot. Those are exactly the chunks preserved by the snapshot or a newer one:
    /// a chunk no one preserved has not been written since. Work is proportional to the change, not
    /// to the volume.
    ///
    /// The caller must keep hosts from writing the source meanwhile (the array refuses rollback while
    /// writers are connected). Newer snapshots stay valid. Interrupted, the source is part rolled
    /// back; running the rollback again completes it. Returns the number of chunks written.
    /// </summary>
    public async Task<long> RollbackAsync(long id, IBlockDevice target, CancellationToken ct = default)
    {
        CheckOpen();
        if (target.Size != Geometry.VolumeSize)
            throw new ArgumentException($"the rollback target has {target.Size} bytes, the source {Geometry.VolumeSize}", nameof(target));
        var chain = _chain;
        int k = IndexOf(id);
        var changed = new SortedSet<long>();
        for (int j = k; j < chain.Length; j++)
            foreach (var e in chain[j].Entries) changed.Add(e.Key);

        var buf = new byte[Geometry.ChunkSize];
        foreach (long chunk in changed)
        {
            int len = Geometry.ChunkLength(chunk);
            long offset = Geometry.ChunkOffset(chunk);
            bool zero;
            // Read under the chunk lock, write after releasing it: the write's own hook takes it again.
            using (await _locks.LockAsync(chunk, chunk, ct).ConfigureAwait(false))
            {
                await ReadChunkPartAsync(id, chunk, 0, buf.AsMemory(0, len), ct).ConfigureAwait(false);
                zero = !buf.AsSpan(0, len).ContainsAnyExcept((byte)0);
            }
            if (zero)
                await target.WriteZeroesAsync(offset, len, WriteFlags.None, ct).ConfigureAwait(false);
            else
                await target.WriteAsync(offset, buf.AsMemory(0, len), WriteFlags.None, ct).ConfigureAwait(false);
        }
        await target.FlushAsync(ct).ConfigureAwait(false);
        return changed.Count;
    }
}
