namespace Snapcat.Array.Snapshots;

public sealed partial class SnapshotEngine
{
    /// <summary>Chunks the snapshots of this source hold now (each snapshot's own copies, summed over the chain).</summary>
    public long HeldChunks => _chain.Sum(s => (long)s.PreservedChunkCount);
}
