namespace Snapcat.Array.Volumes;

/// <summary>
/// The seam between a volume's write path and the copy functions (mirror copy-before-write, snapshot
/// copy-on-write, change tracking). The volume device calls every registered hook before it changes
/// bytes of the volume, and before a flush reaches fsync.
/// </summary>
public interface IVolumeWriteHook
{
    /// <summary>
    /// Called before bytes [offset, offset+length) change (WRITE, TRIM, WRITE_ZEROES). The volume does
    /// not touch those bytes until the returned task completes, so a hook can preserve the old data
    /// first. The returned lease (may be null) is disposed after the change completed or failed, so a
    /// hook can hold a range lock across the change.
    /// </summary>
    ValueTask<IDisposable?> BeforeChangeAsync(long offset, long length, CancellationToken ct);

    /// <summary>Called before the volume's data is fsynced (FLUSH, FUA), so hook state is durable first.</summary>
    ValueTask BeforeFlushAsync(CancellationToken ct);
}
