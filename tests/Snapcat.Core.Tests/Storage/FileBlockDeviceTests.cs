using System.Security.Cryptography;
using Snapcat.Core.Storage;

namespace Snapcat.Core.Tests.Storage;

public sealed class FileBlockDeviceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("snapcat-fbd-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task A_new_device_is_sparse_and_reads_zeroes()
    {
        string path = Path.Combine(_dir, "v.vol");
        await using var dev = FileBlockDevice.Create(path, 64L << 20);
        Assert.Equal(64L << 20, dev.Size);
        Assert.True(dev.AllocatedBytes < 64 * 1024, $"allocated {dev.AllocatedBytes}");
        var buf = new byte[8192];
        buf.AsSpan().Fill(0xAA);
        await dev.ReadAsync(1 << 20, buf);
        Assert.All(buf, b => Assert.Equal(0, b));
        var ext = await dev.GetExtentsAsync(0, dev.Size);
        Assert.Single(ext);
        Assert.True(ext[0].IsHole);
    }

    [Fact]
    public async Task Write_read_trim_and_extents_agree_with_the_file()
    {
        string path = Path.Combine(_dir, "v.vol");
        await using var dev = FileBlockDevice.Create(path, 16L << 20);
        byte[] data = RandomNumberGenerator.GetBytes(1 << 20);
        await dev.WriteAsync(4L << 20, data, WriteFlags.Fua);
        var back = new byte[data.Length];
        await dev.ReadAsync(4L << 20, back);
        Assert.Equal(data, back);

        var ext = await dev.GetExtentsAsync(0, dev.Size);
        Assert.Contains(ext, e => !e.IsHole && e.Offset <= 4L << 20 && e.Offset + e.Length >= 5L << 20);

        await dev.TrimAsync(4L << 20, 1L << 20);
        await dev.ReadAsync(4L << 20, back);
        Assert.All(back, b => Assert.Equal(0, b));
        ext = await dev.GetExtentsAsync(0, dev.Size);
        Assert.All(ext, e => Assert.True(e.IsHole));
    }

    [Fact]
    public async Task Write_zeroes_with_no_hole_keeps_the_range_allocated()
    {
        string path = Path.Combine(_dir, "v.vol");
        await using var dev = FileBlockDevice.Create(path, 8L << 20);
        await dev.WriteAsync(0, RandomNumberGenerator.GetBytes(1 << 20));
        await dev.WriteZeroesAsync(0, 1 << 20, WriteFlags.NoHole);
        var back = new byte[1 << 20];
        await dev.ReadAsync(0, back);
        Assert.All(back, b => Assert.Equal(0, b));
        var ext = await dev.GetExtentsAsync(0, 1 << 20);
        Assert.False(ext[0].IsHole);

        await dev.WriteZeroesAsync(0, 1 << 20);
        ext = await dev.GetExtentsAsync(0, 1 << 20);
        Assert.True(ext[0].IsHole);
    }

    [Fact]
    public async Task Out_of_range_and_read_only_are_refused_and_change_nothing()
    {
        string path = Path.Combine(_dir, "v.vol");
        await (FileBlockDevice.Create(path, 1 << 20)).DisposeAsync();
        await using (var rw = FileBlockDevice.Open(path))
        {
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await rw.WriteAsync((1 << 20) - 10, new byte[20]));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await rw.ReadAsync(-1, new byte[1]));
        }
        Assert.Equal(1 << 20, new FileInfo(path).Length);
        await using var ro = FileBlockDevice.Open(path, readOnly: true);
        Assert.True(ro.IsReadOnly);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(async () => await ro.WriteAsync(0, new byte[1]));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(async () => await ro.TrimAsync(0, 4096));
    }

    [Fact]
    public async Task Data_survives_close_and_reopen()
    {
        string path = Path.Combine(_dir, "v.vol");
        byte[] data = RandomNumberGenerator.GetBytes(65536);
        await using (var dev = FileBlockDevice.Create(path, 1 << 20))
        {
            await dev.WriteAsync(12345, data);
            await dev.FlushAsync();
        }
        await using var again = FileBlockDevice.Open(path);
        var back = new byte[data.Length];
        await again.ReadAsync(12345, back);
        Assert.Equal(data, back);
    }
}
