using System.Security.Cryptography;
using Snapcat.Core.Errors;
using Snapcat.Core.Integrity;

namespace Snapcat.Core.Tests.Integrity;

public class ContentDigestTests
{
    private static byte[] Data(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void Root_is_sha256_over_the_header_and_the_chunk_hashes()
    {
        byte[] data = Data((2 * ContentDigest.ChunkSize) + 100, 1);
        var digest = ContentDigest.Compute(data);

        using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        expected.AppendData("SCDIGEST"u8);
        expected.AppendData([1, 0]);
        expected.AppendData(BitConverter.GetBytes(ContentDigest.ChunkSize));
        expected.AppendData(BitConverter.GetBytes((long)data.Length));
        expected.AppendData(SHA256.HashData(data.AsSpan(0, ContentDigest.ChunkSize)));
        expected.AppendData(SHA256.HashData(data.AsSpan(ContentDigest.ChunkSize, ContentDigest.ChunkSize)));
        expected.AppendData(SHA256.HashData(data.AsSpan(2 * ContentDigest.ChunkSize)));

        Assert.Equal(3, digest.ChunkCount);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(expected.GetHashAndReset()), digest.RootText);
        Assert.True(ContentDigest.IsRootText(digest.RootText));
    }

    [Fact]
    public async Task Stream_and_buffer_agree_and_out_of_order_chunks_give_the_same_root()
    {
        byte[] data = Data((5 * ContentDigest.ChunkSize) + 7, 2);
        var fromBuffer = ContentDigest.Compute(data);
        var fromStream = await ContentDigest.ComputeAsync(new MemoryStream(data), data.Length);

        var builder = new ContentDigestBuilder(data.Length);
        foreach (long i in new long[] { 4, 0, 5, 2, 1, 3 })
            builder.SetChunk(i, data.AsSpan((int)(i * ContentDigest.ChunkSize), builder.ChunkLength(i)));

        Assert.Equal(fromBuffer.RootText, fromStream.RootText);
        Assert.Equal(fromBuffer.RootText, builder.Finish().RootText);
    }

    [Fact]
    public void A_changed_byte_changes_the_root_and_names_its_chunk()
    {
        byte[] data = Data(4 * ContentDigest.ChunkSize, 3);
        var before = ContentDigest.Compute(data);
        data[(2 * ContentDigest.ChunkSize) + 17] ^= 0x40;
        var after = ContentDigest.Compute(data);

        Assert.False(before.SameContentAs(after));
        Assert.Equal([2L], after.DifferingChunks(before));
    }

    [Fact]
    public void Same_bytes_of_another_length_are_another_digest()
    {
        var a = ContentDigest.Compute(new byte[ContentDigest.ChunkSize]);
        var b = ContentDigest.Compute(new byte[ContentDigest.ChunkSize + 1]);
        Assert.NotEqual(a.RootText, b.RootText);
        Assert.Equal([1L], b.DifferingChunks(a));
    }

    [Fact]
    public void Serialized_form_round_trips_and_a_damaged_file_is_refused()
    {
        var digest = ContentDigest.Compute(Data((3 * ContentDigest.ChunkSize) + 1, 4));
        byte[] file = digest.Serialize();
        Assert.Equal(digest.RootText, ContentDigest.Parse(file).RootText);

        for (int at = 0; at < file.Length; at += 29)
        {
            byte[] damaged = (byte[])file.Clone();
            damaged[at] ^= 1;
            var ex = Assert.ThrowsAny<SnapcatException>(() => ContentDigest.Parse(damaged));
            Assert.StartsWith("digest.", ex.Code, StringComparison.Ordinal);
        }
        Assert.Throws<SnapcatException>(() => ContentDigest.Parse(file.AsSpan(0, file.Length - 1)));
        Assert.Throws<SnapcatException>(() => ContentDigest.Parse([]));
    }

    [Fact]
    public void An_empty_volume_has_a_digest_and_a_missing_chunk_is_refused()
    {
        var empty = ContentDigest.Compute([]);
        Assert.Equal(0, empty.ChunkCount);
        Assert.Equal(empty.RootText, ContentDigest.Parse(empty.Serialize()).RootText);

        var builder = new ContentDigestBuilder(2 * ContentDigest.ChunkSize);
        builder.SetChunk(0, new byte[ContentDigest.ChunkSize]);
        Assert.Throws<SnapcatException>(() => builder.Finish());
        Assert.Throws<ArgumentException>(() => builder.SetChunk(1, new byte[10]));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sha256:")]
    [InlineData("sha1:0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("sha256:000000000000000000000000000000000000000000000000000000000000000G")]
    [InlineData("sha256:000000000000000000000000000000000000000000000000000000000000000A")]
    public void Root_text_is_checked(string? text) => Assert.False(ContentDigest.IsRootText(text));
}
