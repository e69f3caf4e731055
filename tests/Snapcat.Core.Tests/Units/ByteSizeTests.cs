using Snapcat.Core.Errors;
using Snapcat.Core.Units;

namespace Snapcat.Core.Tests.Units;

public class ByteSizeTests
{
    [Theory]
    [InlineData("4096", 4096L)]
    [InlineData("512K", 512L << 10)]
    [InlineData("512M", 512L << 20)]
    [InlineData("512m", 512L << 20)]
    [InlineData("20G", 20L << 30)]
    [InlineData("20GiB", 20L << 30)]
    [InlineData("20GB", 20L << 30)]
    [InlineData("1T", 1L << 40)]
    [InlineData("100B", 100L)]
    [InlineData(" 64M ", 64L << 20)]
    public void Parses_binary_units(string text, long expected) => Assert.Equal(expected, ByteSize.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("M")]
    [InlineData("12Q")]
    [InlineData("-5M")]
    [InlineData("1.5G")]
    [InlineData("9999999999P")]
    [InlineData("abc")]
    public void Rejects_bad_sizes_with_a_clear_message(string text)
    {
        var ex = Assert.Throws<SnapcatException>(() => ByteSize.Parse(text));
        Assert.Equal("size.invalid", ex.Code);
        Assert.Equal(ErrorKind.Invalid, ex.Kind);
    }

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(512L << 20, "512 MiB")]
    [InlineData(1L << 40, "1 TiB")]
    public void Formats_human_readably(long bytes, string text) => Assert.Equal(text, ByteSize.Format(bytes));
}
