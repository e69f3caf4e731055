using Snapcat.Array.ChangeTracking;
using Snapcat.Array.Integrity;
using Snapcat.Array.Volumes;
using Snapcat.Core.Integrity;

namespace Snapcat.Array.Mirror;

/// <summary>
/// A primary volume and one secondary of its copy destination list (column 375), with everything the
/// data mirror function needs between copies: which chunks changed on either side since the last
/// complete copy (<c>primary.bitmap</c>, <c>secondary.bitmap</c>) and the copy status
/// (<c>mirror.state</c>), all in the directory given to <see cref="Open"/>.
///
/// Wiring: register <see cref="PrimaryHook"/> on the primary's volume device and
/// <see cref="SecondaryHook"/> on the secondary's; give <see cref="Open"/> the raw (unhooked) devices,
/// which the copier reads and writes directly so its own writes are not tracked as changes.
///
/// Trust: the bitmaps are trusted only after a clean <see cref="DisposeAsync"/>; after a crash, or when
/// a copy was in progress at the crash (<see cref="FoundInterruptedCopy"/>), the next copy is full.
/// </summary>
public sealed class MirrorPair : IAsyncDisposable
{
    private readonly string _dir;
    private readonly IBlockDevice _primary, _secondary;
    private readonly ChunkLockTable _primaryLocks = new(), _secondaryLocks = new();
    private readonly ChunkBitmap _primaryChanges, _secondaryChanges;
    private readonly SemaphoreSlim _oneCopy = new(1, 1);
    private MirrorStateRecord _state;
    private volatile ActiveCopy? _active;
    private long _totalBytesCopied;
    private ulong _generation;
    private bool _disposed;
    private (DigestStore Store, uint Secondary)? _digest;

    private sealed record ActiveCopy(MirrorDirection Direction, PointInTimeCopy Copy);

    private MirrorPair(string dir, IBlockDevice primary, IBlockDevice secondary, ChunkGeometry geometry,
        ChunkBitmap p, ChunkBitmap s, MirrorStateRecord state, bool interrupted)
    {
        _dir = dir;
        _primary = primary;
        _secondary = secondary;
        Geometry = geometry;
        _primaryChanges = p;
        _secondaryChanges = s;
        _state = state;
        FoundInterruptedCopy = interrupted;
        PrimaryHook = new SideHook(this, MirrorDirection.Copy);
        SecondaryHook = new SideHook(this, MirrorDirection.Restore);
    }

    public ChunkGeometry Geometry { get; }
    public IVolumeWriteHook PrimaryHook { get; }
    public IVolumeWriteHook SecondaryHook { get; }

    /// <summary>The state file said a copy was running when the array stopped: that copy failed, and the next copy is full.</summary>
    public bool FoundInterruptedCopy { get; }

    public MirrorStateRecord State => _state;

    /// <summary>Whether the next copy must copy every chunk (never copied, crash, untrusted tracking).</summary>
    public bool NextCopyIsFull => _state.ForceFull;

    /// <summary>Data bytes copied by every copy and restore of this pair since open (the array's counter).</summary>
    public long TotalBytesCopied => Interlocked.Read(ref _totalBytesCopied) + (_active?.Copy.BytesCopied ?? 0);

    /// <summary>(done, total) bytes of the running copy, or null.</summary>
    public (long Done, long Total)? Progress => _active is { } a
        ? (a.Copy.ChunksDone * Geometry.ChunkSize, a.Copy.ChunksTotal * Geometry.ChunkSize) : null;

    public static MirrorPair Open(string directory, IBlockDevice primary, IBlockDevice secondary, int chunkSize = ChunkGeometry.DefaultChunkSize)
    {
        if (primary.Size != secondary.Size)
            Throw.Invalid("mirror.size_mismatch", $"the secondary has {secondary.Size} bytes but the primary {primary.Size}; mirror volumes must be the same size");
        DurableFile.CreateDirectory(directory);
        var geometry = ChunkGeometry.For(primary.Size, chunkSize);
        string statePath = Path.Combine(directory, MirrorStateRecord.FileName);
        var state = MirrorStateRecord.Load(statePath);
        bool interrupted = state.Status == MirrorStatus.InProgress;
        var (p, pTrusted) = ChunkBitmapFile.OpenForTracking(Path.Combine(directory, "primary.bitmap"), geometry);
        var (s, sTrusted) = ChunkBitmapFile.OpenForTracking(Path.Combine(directory, "secondary.bitmap"), geometry);
        if (interrupted || !pTrusted || !sTrusted)
        {
            // A crash mid-copy: the secondary is half written and must never pass for complete.
            state = state with { Status = interrupted ? MirrorStatus.Failed : state.Status, ForceFull = true };
            state.Save(statePath);
        }
        return new MirrorPair(directory, primary, secondary, geometry, p, s, state, interrupted);
    }

    /// <summary>
    /// Keep the secondary's content digest (docs/integrity.md): each copy drops it before its first write, computes the new one
    /// from the chunks it copies (and, for chunks it does not copy, the hashes of the digest the secondary had when that
    /// digest was still valid, or the secondary's data), and seals it with source <c>copy</c> once the data is durable. The
    /// secondary device given to <see cref="Open"/> must then be a view without the store's hook (the copy drops the digest
    /// itself), but with it for every other writer, so that a foreign write during the copy stops the seal.
    /// </summary>
    public void KeepSecondaryDigest(DigestStore store, uint secondary)
    {
        if (Geometry.ChunkSize == ContentDigest.ChunkSize) _digest = (store, secondary);
    }

    /// <summary>Copies primary → secondary (point in time at the call). Only changed chunks unless a full copy is forced.</summary>
    public Task<MirrorCopyResult> CopyAsync(Action<long, long>? progress = null, bool forceFull = false, CancellationToken ct = default) =>
        RunAsync(MirrorDirection.Copy, progress, forceFull, ct);

    /// <summary>
    /// Copies secondary → primary, point in time at the call. The array refuses this while the primary
    /// has writers (unless forced); host writes to the primary during a restore are overwritten.
    /// </summary>
    public Task<MirrorCopyResult> RestoreAsync(Action<long, long>? progress = null, bool forceFull = false, CancellationToken ct = default) =>
        RunAsync(MirrorDirection.Restore, progress, forceFull, ct);

    private async Task<MirrorCopyResult> RunAsync(MirrorDirection direction, Action<long, long>? progress, bool forceFull, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!await _oneCopy.WaitAsync(0, ct).ConfigureAwait(false))
            Throw.Conflict("mirror.copy_running", "a copy or restore of this mirror pair is already running");
        DigestStore.DigestRewrite? rewrite = null;
        try
        {
            bool copy = direction == MirrorDirection.Copy;
            var (src, dst) = copy ? (_primary, _secondary) : (_secondary, _primary);
            var srcLocks = copy ? _primaryLocks : _secondaryLocks;
            var dstChanges = copy ? _secondaryChanges : _primaryChanges;
            string statePath = Path.Combine(_dir, MirrorStateRecord.FileName);
            PointInTimeCopy job;
            bool full;
            ContentDigestBuilder? digest = null;
            var started = DateTimeOffset.UtcNow;

            // The point in time: no source write is in flight while the work list is taken and the
            // copy-before-write hook switched on.
            using (await srcLocks.LockAllAsync(ct).ConfigureAwait(false))
            {
                full = forceFull || _state.ForceFull;
                var work = _primaryChanges.Drain();
                work.Merge(_secondaryChanges.Drain());
                if (full)
                {
                    work = new ChunkBitmap(Geometry.ChunkCount);
                    work.SetAll();
                }
                if (copy && _digest is { } d)
                {
                    // Before the first destination byte: the secondary's old digest is durably gone (kept in memory for reuse).
                    try
                    {
                        rewrite = d.Store.BeginRewrite(d.Secondary);
                    }
                    catch
                    {
                        _primaryChanges.Merge(work);
                        throw;
                    }
                    digest = new ContentDigestBuilder(dst.Size);
                }
                job = new PointInTimeCopy(src, dst, Geometry, work, srcLocks, digest);
                // The marker reaches the disk before the first destination byte does.
                _state = _state with { Status = MirrorStatus.InProgress, Direction = direction, LastStart = started, LastEnd = null, LastBytesCopied = 0 };
                try
                {
                    _state.Save(statePath);
                }
                catch
                {
                    _primaryChanges.Merge(work);
                    throw;
                }
                _active = new ActiveCopy(direction, job);
            }
            // The first progress report says the point in time is taken: from here on a source write is
            // copied-before-write, so the array can acknowledge the order and hosts may go on writing.
            progress?.Invoke(0, job.ChunksTotal * Geometry.ChunkSize);

            try
            {
                await job.RunAsync(progress, ct).ConfigureAwait(false);
                await dst.FlushAsync(ct).ConfigureAwait(false);  // every copied byte durable before "complete"
                if (digest is not null) await SealSecondaryDigestAsync(digest, rewrite!, job.Work, ct).ConfigureAwait(false);
            }
            catch
            {
                // The destination holds part of the set: it differs from the source there, and the
                // next incremental copy must copy those chunks again.
                dstChanges.Merge(job.Work);
                _active = null;
                Interlocked.Add(ref _totalBytesCopied, job.BytesCopied);
                _state = _state with { Status = MirrorStatus.Failed, LastEnd = DateTimeOffset.UtcNow, LastBytesCopied = job.BytesCopied };
                _state.Save(statePath);
                throw;
            }
            _state = _state with { Status = MirrorStatus.Complete, ForceFull = false, LastEnd = DateTimeOffset.UtcNow, LastBytesCopied = job.BytesCopied };
            _state.Save(statePath);
            Interlocked.Add(ref _totalBytesCopied, job.BytesCopied);
            _active = null;
            progress?.Invoke(job.ChunksTotal * Geometry.ChunkSize, job.ChunksTotal * Geometry.ChunkSize);
            return new MirrorCopyResult(direction, full, job.ChunksTotal, job.BytesCopied, job.BytesTrimmed, DateTimeOffset.UtcNow - started);
        }
        finally
        {
            rewrite?.Dispose();
            _oneCopy.Release();
        }
    }

    /// <summary>
    /// After the copy's data is durable: the chunks the copy did not copy get their hashes from the previous digest when it
    /// was valid at the copy's start, else from the secondary's data; then the digest is sealed, unless a foreign write
    /// reached the secondary meanwhile (then it stays without one until a verify seals it).
    /// </summary>
    private async Task SealSecondaryDigestAsync(ContentDigestBuilder digest, DigestStore.DigestRewrite rewrite, ChunkBitmap copied, CancellationToken ct)
    {
        var previous = rewrite.Previous is { } p && p.Length == _secondary.Size ? p : null;
        if (previous is not null)
        {
            for (long c = 0; c < Geometry.ChunkCount; c++)
                if (!copied.IsSet(c)) digest.SetChunkHash(c, previous.ChunkHash(c));
        }
        else
        {
            await DigestReader.FillAsync(_secondary, digest, c => !copied.IsSet(c), null, ct).ConfigureAwait(false);
        }
        rewrite.TrySeal(digest.Finish(), DigestStore.SourceCopy);
    }

    /// <summary>Clean shutdown: the change bitmaps are saved as trusted, so the next copy can be incremental.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        await _oneCopy.WaitAsync().ConfigureAwait(false);  // a running copy finishes or fails first
        using (await _primaryLocks.LockAllAsync().ConfigureAwait(false))
        using (await _secondaryLocks.LockAllAsync().ConfigureAwait(false))
        {
            _disposed = true;
            _generation++;
            ChunkBitmapFile.Save(Path.Combine(_dir, "primary.bitmap"), Geometry, _primaryChanges, clean: true, _generation);
            ChunkBitmapFile.Save(Path.Combine(_dir, "secondary.bitmap"), Geometry, _secondaryChanges, clean: true, _generation);
        }
    }

    /// <summary>A side's write hook: track the change, and copy-before-write while this side is a copy's source.</summary>
    private sealed class SideHook(MirrorPair pair, MirrorDirection sourceOf) : IVolumeWriteHook
    {
        public async ValueTask<IDisposable?> BeforeChangeAsync(long offset, long length, CancellationToken ct)
        {
            var (first, last) = pair.Geometry.ChunksOf(offset, length);
            if (last < first) return null;
            bool primary = sourceOf == MirrorDirection.Copy;
            var locks = primary ? pair._primaryLocks : pair._secondaryLocks;
            var lease = await locks.LockAsync(first, last, ct).ConfigureAwait(false);
            try
            {
                // Marked under the lock, so a copy start (which drains the bitmap while holding every
                // lock) sees each write either entirely before or entirely after its point in time.
                (primary ? pair._primaryChanges : pair._secondaryChanges).SetRange(first, last);
                if (pair._active is { } a && a.Direction == sourceOf)
                    await a.Copy.CopyBeforeWriteAsync(first, last, ct).ConfigureAwait(false);
                return lease;
            }
            catch
            {
                lease.Dispose();
                throw;
            }
        }

        public ValueTask BeforeFlushAsync(CancellationToken ct) => ValueTask.CompletedTask;
    }
}

public sealed record MirrorCopyResult(MirrorDirection Direction, bool Full, long Chunks, long BytesCopied, long BytesTrimmed, TimeSpan Elapsed);
