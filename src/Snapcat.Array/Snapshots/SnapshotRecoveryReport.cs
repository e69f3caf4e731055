namespace Snapcat.Array.Snapshots;

/// <summary>What opening the snapshot engine found and repaired (a kill -9 during heavy writing leaves some of this).</summary>
public sealed class SnapshotRecoveryReport
{
    /// <summary>Intact index records loaded.</summary>
    public long Records { get; set; }

    /// <summary>Bytes of torn index tail cut off (appends interrupted by a crash; their source writes never happened).</summary>
    public long TruncatedIndexBytes { get; set; }

    /// <summary>Leftover files of an interrupted snapshot create or delete, removed.</summary>
    public List<string> RemovedOrphans { get; } = [];

    /// <summary>(snapshot, chunk) whose preserved bytes fail their CRC: media corruption, never a normal crash.</summary>
    public List<(long Snapshot, long Chunk)> CorruptChunks { get; } = [];
}
