using Snapcat.Array.Volumes;

namespace Snapcat.Array.ChangeTracking;

/// <summary>
/// Marks the chunks a write touches in a <see cref="ChunkBitmap"/> before the write happens. Marking
/// before (not after) means a write that fails or a crash mid-write can only over-report a change,
/// never miss one. No lease: the bitmap needs no lock across the change.
/// </summary>
public sealed class ChangeTrackingHook(ChunkGeometry geometry, Func<ChunkBitmap> bitmap) : IVolumeWriteHook
{
    public ValueTask<IDisposable?> BeforeChangeAsync(long offset, long length, CancellationToken ct)
    {
        var (first, last) = geometry.ChunksOf(offset, length);
        bitmap().SetRange(first, last);
        return ValueTask.FromResult<IDisposable?>(null);
    }

    public ValueTask BeforeFlushAsync(CancellationToken ct) => ValueTask.CompletedTask;
}
