using System.Buffers;
using System.Runtime.CompilerServices;
using Snapcat.Array.Integrity;

namespace Snapcat.Array.VolumeCopy;

/// <summary>
/// Copies every byte of one block device onto another of the same size, by allocation: data extents
/// are read and written in pieces of <see cref="PieceSize"/>, several in flight at once (over NBD the
/// round trips overlap); hole and zero extents become WRITE_ZEROES on the destination, which punches
/// a hole there instead of sending zeroes. A sparse terabyte is therefore a few thousand requests.
///
/// No flush: the caller flushes the destination once, before anything claims the copy is complete.
///
/// With a <c>digest</c> assembler, every piece is hashed from the buffer it was written from (zero pieces as zeroes): the
/// content digest of what was sent, at no second read.
/// </summary>
public static class BlockCopier
{
    public const int PieceSize = 4 << 20;
    public const int Parallelism = 4;

    // WRITE_ZEROES carries no payload, but one huge request holds a server thread for long; 1 GiB keeps
    // cancellation and progress responsive.
    private const long ZeroPieceSize = 1L << 30;

    public sealed record Stats(long Size, long BytesCopied, long BytesZeroed);

    public static async Task<Stats> CopyAsync(IBlockDevice source, IBlockDevice destination,
        Action<long, long>? progress = null, CancellationToken ct = default, ChunkAssembler? digest = null)
    {
        if (source.Size != destination.Size)
            throw new ArgumentException($"source has {source.Size} bytes, destination {destination.Size}", nameof(destination));
        long size = source.Size;
        long copied = 0, zeroed = 0;
        // Pieces finish in any order and a job keeps the last figure it is given; taking the figure and
        // handing it over under one lock means figures arrive in the order they grew, and the last is the size.
        var progressGate = new Lock();
        long reported = 0;
        progress?.Invoke(0, size);
        await Parallel.ForEachAsync(PiecesAsync(source, ct), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct },
            async (piece, token) =>
            {
                if (piece.Zero)
                {
                    await destination.WriteZeroesAsync(piece.Offset, piece.Length, WriteFlags.None, token).ConfigureAwait(false);
                    digest?.AddZeroes(piece.Offset, piece.Length);
                    Interlocked.Add(ref zeroed, piece.Length);
                }
                else
                {
                    byte[] buffer = ArrayPool<byte>.Shared.Rent((int)piece.Length);
                    try
                    {
                        var data = buffer.AsMemory(0, (int)piece.Length);
                        await source.ReadAsync(piece.Offset, data, token).ConfigureAwait(false);
                        await destination.WriteAsync(piece.Offset, data, WriteFlags.None, token).ConfigureAwait(false);
                        digest?.AddData(piece.Offset, data.Span);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                    Interlocked.Add(ref copied, piece.Length);
                }
                if (progress is null) return;
                lock (progressGate)
                {
                    long done = Interlocked.Read(ref copied) + Interlocked.Read(ref zeroed);
                    if (done <= reported) return;
                    reported = done;
                    progress(done, size);
                }
            }).ConfigureAwait(false);
        return new Stats(size, copied, zeroed);
    }

    private readonly record struct Piece(long Offset, long Length, bool Zero);

    /// <summary>Walks the source's allocation from start to end and cuts it into pieces; every byte is in exactly one.</summary>
    private static async IAsyncEnumerable<Piece> PiecesAsync(IBlockDevice source, [EnumeratorCancellation] CancellationToken ct)
    {
        long size = source.Size, pos = 0;
        while (pos < size)
        {
            var extents = await source.GetExtentsAsync(pos, size - pos, ct).ConfigureAwait(false);
            long before = pos;
            foreach (var e in extents)
            {
                // Extents must continue where we are; anything else would leave a gap or copy twice.
                if (e.Offset != pos || e.Length <= 0) break;
                long end = Math.Min(e.Offset + e.Length, size);
                bool zero = (e.Flags & (ExtentFlags.Hole | ExtentFlags.Zero)) != 0;
                long step = zero ? ZeroPieceSize : PieceSize;
                for (; pos < end; pos += Math.Min(step, end - pos))
                    yield return new Piece(pos, Math.Min(step, end - pos), zero);
            }
            if (pos == before)
            {
                // A source that describes nothing usable: copy one piece as data, always correct.
                long n = Math.Min(PieceSize, size - pos);
                yield return new Piece(pos, n, false);
                pos += n;
            }
        }
    }
}
