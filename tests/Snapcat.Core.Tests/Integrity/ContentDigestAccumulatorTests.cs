using Snapcat.Core.Integrity;

namespace Snapcat.Core.Tests.Integrity;

public class ContentDigestAccumulatorTests
{
    [Theory]
    [InlineData(0, 1000)]
    [InlineData(1, 1)]
    [InlineData(65536, 61440)]
    [InlineData(65537, 4096)]
    [InlineData(3 * 65536 + 17, 61440)]
    [InlineData(1_000_000, 7)]
    public void Pieces_of_any_size_give_the_digest_of_the_whole(int length, int piece)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        var acc = new ContentDigestAccumulator();
        for (int at = 0; at < length; at += piece) acc.Append(data.AsSpan(at, Math.Min(piece, length - at)));
        Assert.Equal(length, acc.Length);
        var whole = ContentDigest.Compute(data);
        var built = acc.Finish();
        Assert.True(whole.SameContentAs(built));
        Assert.Equal(whole.RootText, built.RootText);
        Assert.Throws<InvalidOperationException>(() => acc.Append([1]));
    }

    [Fact]
    public void One_changed_byte_changes_the_root()
    {
        var data = new byte[200_000];
        new Random(5).NextBytes(data);
        var a = new ContentDigestAccumulator();
        a.Append(data);
        data[150_000] ^= 1;
        var b = new ContentDigestAccumulator();
        b.Append(data);
        var (da, db) = (a.Finish(), b.Finish());
        Assert.NotEqual(da.RootText, db.RootText);
        Assert.Equal([2L], da.DifferingChunks(db));
    }
}
