using System.Buffers.Binary;
using System.Security.Cryptography;
using Snapcat.Core.Errors;

namespace Snapcat.Core.Integrity;

/// <summary>
/// The content digest of a backup volume: SHA-256 of every 64 KiB chunk (the last one may be short) and a
/// root over them. The root is what the catalog row, the volume information's sidecar and the tape's
/// management information carry; the chunk hashes say which chunk differs when a verify fails.
/// <code>
///  root = SHA-256( "SCDIGEST" || u16 version (1) || u32 chunk size || u64 length || chunk hash 0 || chunk hash 1 || … )
/// </code>
/// All integers little-endian. Text form of the root: <c>sha256:</c> and 64 lower-case hex digits.
/// Two volumes of the same length and the same bytes have the same root, whichever copy made them.
/// </summary>
public sealed class ContentDigest
{
    public const int ChunkSize = 64 * 1024;
    public const int HashSize = 32;
    public const string Algorithm = "sha256-64k";
    public const string RootPrefix = "sha256:";

    private const ushort FileVersion = 1;
    private static ReadOnlySpan<byte> RootMagic => "SCDIGEST"u8;
    private static ReadOnlySpan<byte> FileMagic => "SCDIGSTF"u8;

    private readonly byte[] _chunkHashes;
    private readonly byte[] _root;

    private ContentDigest(long length, byte[] chunkHashes, byte[] root)
    {
        Length = length;
        _chunkHashes = chunkHashes;
        _root = root;
    }

    /// <summary>The volume's length in bytes.</summary>
    public long Length { get; }

    /// <summary>The 32-byte root.</summary>
    public ReadOnlySpan<byte> Root => _root;

    /// <summary>The root in text form, <c>sha256:…</c>.</summary>
    public string RootText => RootPrefix + Convert.ToHexStringLower(_root);

    public long ChunkCount => ChunkCountFor(Length);

    public static long ChunkCountFor(long length) => (length + ChunkSize - 1) / ChunkSize;

    /// <summary>The hash of chunk <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> ChunkHash(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ChunkCount);
        return _chunkHashes.AsSpan(checked((int)(index * HashSize)), HashSize);
    }

    /// <summary>The chunks whose hashes differ from <paramref name="other"/>'s (all of them past the shorter length when lengths differ).</summary>
    public IEnumerable<long> DifferingChunks(ContentDigest other)
    {
        ArgumentNullException.ThrowIfNull(other);
        long common = Math.Min(ChunkCount, other.ChunkCount);
        for (long i = 0; i < common; i++)
            if (!ChunkHash(i).SequenceEqual(other.ChunkHash(i)) || ChunkLengthAt(Length, i) != ChunkLengthAt(other.Length, i))
                yield return i;
        for (long i = common; i < Math.Max(ChunkCount, other.ChunkCount); i++)
            yield return i;
    }

    private static long ChunkLengthAt(long length, long index) => Math.Min(ChunkSize, length - (index * ChunkSize));

    /// <summary>Whether the two digests describe the same bytes (same length, same root).</summary>
    public bool SameContentAs(ContentDigest other) =>
        other is not null && Length == other.Length && Root.SequenceEqual(other.Root);

    /// <summary>Whether <paramref name="rootText"/> (the text form) names this digest's root.</summary>
    public bool Matches(string? rootText) => string.Equals(rootText, RootText, StringComparison.Ordinal);

    /// <summary>Reads <paramref name="length"/> bytes of <paramref name="source"/> from its current position and digests them.</summary>
    public static async Task<ContentDigest> ComputeAsync(Stream source, long length, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var builder = new ContentDigestBuilder(length);
        var buffer = new byte[ChunkSize];
        for (long index = 0; index < builder.ChunkCount; index++)
        {
            int want = builder.ChunkLength(index);
            int got = 0;
            while (got < want)
            {
                int n = await source.ReadAsync(buffer.AsMemory(got, want - got), ct).ConfigureAwait(false);
                if (n == 0)
                    Throw.Invalid("digest.short_read", $"the data ended after {index * ChunkSize + got} bytes; {length} were expected");
                got += n;
            }
            builder.SetChunk(index, buffer.AsSpan(0, want));
            progress?.Report((index * ChunkSize) + want);
        }
        return builder.Finish();
    }

    /// <summary>Digests an in-memory buffer (tests, small catalog copies).</summary>
    public static ContentDigest Compute(ReadOnlySpan<byte> data)
    {
        var builder = new ContentDigestBuilder(data.Length);
        for (long index = 0; index < builder.ChunkCount; index++)
        {
            int offset = checked((int)(index * ChunkSize));
            builder.SetChunk(index, data.Slice(offset, builder.ChunkLength(index)));
        }
        return builder.Finish();
    }

    internal static ContentDigest FromChunkHashes(long length, byte[] chunkHashes)
    {
        if (chunkHashes.LongLength != ChunkCountFor(length) * HashSize)
            Throw.Invalid("digest.chunk_count", $"a digest of {length} bytes has {ChunkCountFor(length)} chunk hashes; {chunkHashes.LongLength / HashSize} were given");
        Span<byte> header = stackalloc byte[8 + 2 + 4 + 8];
        RootMagic.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header[8..], FileVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(header[10..], ChunkSize);
        BinaryPrimitives.WriteInt64LittleEndian(header[14..], length);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(header);
        sha.AppendData(chunkHashes);
        return new ContentDigest(length, chunkHashes, sha.GetHashAndReset());
    }

    /// <summary>
    /// The digest as a self-checking file (the array keeps it beside the volume information; tapes carry it):
    /// "SCDIGSTF", u16 version, u32 chunk size, u64 length, chunk hashes, then the 32-byte root, then a SHA-256
    /// of everything before it.
    /// </summary>
    public byte[] Serialize()
    {
        var bytes = new byte[8 + 2 + 4 + 8 + _chunkHashes.Length + HashSize + HashSize];
        var span = bytes.AsSpan();
        FileMagic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[8..], FileVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(span[10..], ChunkSize);
        BinaryPrimitives.WriteInt64LittleEndian(span[14..], Length);
        _chunkHashes.CopyTo(span[22..]);
        _root.CopyTo(span[(22 + _chunkHashes.Length)..]);
        SHA256.HashData(span[..^HashSize], span[^HashSize..]);
        return bytes;
    }

    /// <summary>Reads <see cref="Serialize"/>'s form; a damaged or foreign file is a clear <see cref="SnapcatException"/> (Invalid).</summary>
    public static ContentDigest Parse(ReadOnlySpan<byte> bytes)
    {
        const int fixedPart = 8 + 2 + 4 + 8 + HashSize + HashSize;
        if (bytes.Length < fixedPart || !bytes[..8].SequenceEqual(FileMagic))
            Throw.Invalid("digest.format", "the content digest file is not a Snapcat digest (wrong magic or too short)");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
        if (version != FileVersion)
            Throw.Invalid("digest.version", $"the content digest file has version {version}; this Snapcat reads version {FileVersion}");
        uint chunk = BinaryPrimitives.ReadUInt32LittleEndian(bytes[10..]);
        if (chunk != ChunkSize)
            Throw.Invalid("digest.chunk_size", $"the content digest uses {chunk}-byte chunks; this Snapcat uses {ChunkSize}");
        long length = BinaryPrimitives.ReadInt64LittleEndian(bytes[14..]);
        if (length < 0)
            Throw.Invalid("digest.length", $"the content digest names a negative length ({length})");
        long hashesLength = ChunkCountFor(length) * HashSize;
        if (bytes.Length != fixedPart + hashesLength)
            Throw.Invalid("digest.size", $"the content digest file is {bytes.Length} bytes; a digest of {length} bytes is {fixedPart + hashesLength}");
        Span<byte> check = stackalloc byte[HashSize];
        SHA256.HashData(bytes[..^HashSize], check);
        if (!check.SequenceEqual(bytes[^HashSize..]))
            Throw.Invalid("digest.damaged", "the content digest file fails its checksum: it is damaged");
        var digest = FromChunkHashes(length, bytes.Slice(22, (int)hashesLength).ToArray());
        if (!bytes.Slice(22 + (int)hashesLength, HashSize).SequenceEqual(digest.Root))
            Throw.Invalid("digest.root", "the content digest file's root does not match its chunk hashes: it is damaged");
        return digest;
    }

    /// <summary>Checks the text form of a root (<c>sha256:</c> + 64 hex digits) at a boundary (HTTP, CLI, tape).</summary>
    public static bool IsRootText(string? text) =>
        text is { Length: 7 + 64 } && text.StartsWith(RootPrefix, StringComparison.Ordinal)
        && text.AsSpan(7).ContainsAnyExcept("0123456789abcdef") == false;
}

/// <summary>
/// Builds a <see cref="ContentDigest"/> from chunks that may arrive in any order (a copy with several chunks in
/// flight); thread-safe for distinct chunk indexes. <see cref="Finish"/> refuses a digest with a chunk missing.
/// </summary>
public sealed class ContentDigestBuilder
{
    private readonly byte[] _chunkHashes;
    private readonly bool[] _set;
    private long _remaining;

    public ContentDigestBuilder(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        long count = ContentDigest.ChunkCountFor(length);
        _chunkHashes = new byte[checked(count * ContentDigest.HashSize)];
        _set = new bool[count];
        _remaining = count;
    }

    public long Length { get; }
    public long ChunkCount => _set.LongLength;

    /// <summary>How many bytes chunk <paramref name="index"/> holds (64 KiB except perhaps the last).</summary>
    public int ChunkLength(long index) => (int)Math.Min(ContentDigest.ChunkSize, Length - (index * ContentDigest.ChunkSize));

    /// <summary>Hashes chunk <paramref name="index"/>; its data must be exactly <see cref="ChunkLength"/> bytes.</summary>
    public void SetChunk(long index, ReadOnlySpan<byte> data)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ChunkCount);
        if (data.Length != ChunkLength(index))
            throw new ArgumentException($"chunk {index} holds {ChunkLength(index)} bytes; {data.Length} were given", nameof(data));
        SHA256.HashData(data, _chunkHashes.AsSpan(checked((int)(index * ContentDigest.HashSize)), ContentDigest.HashSize));
        if (!_set[index])
        {
            _set[index] = true;
            Interlocked.Decrement(ref _remaining);
        }
    }

    /// <summary>
    /// Sets chunk <paramref name="index"/>'s hash without its data: a hash taken from a digest that is still valid for that
    /// chunk (an incremental copy's unchanged chunks), or the known hash of a chunk of zeroes.
    /// </summary>
    public void SetChunkHash(long index, ReadOnlySpan<byte> hash)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ChunkCount);
        if (hash.Length != ContentDigest.HashSize)
            throw new ArgumentException($"a chunk hash is {ContentDigest.HashSize} bytes; {hash.Length} were given", nameof(hash));
        hash.CopyTo(_chunkHashes.AsSpan(checked((int)(index * ContentDigest.HashSize)), ContentDigest.HashSize));
        if (!_set[index])
        {
            _set[index] = true;
            Interlocked.Decrement(ref _remaining);
        }
    }

    public ContentDigest Finish()
    {
        if (Interlocked.Read(ref _remaining) != 0)
        {
            long first = Array.IndexOf(_set, false);
            Throw.Internal("digest.incomplete", $"the content digest is missing {Interlocked.Read(ref _remaining)} chunk hashes (first: chunk {first})");
        }
        return ContentDigest.FromChunkHashes(Length, _chunkHashes);
    }
}
