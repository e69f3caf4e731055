using System.Security.Cryptography;
using Snapcat.Core.Errors;
using Snapcat.Core.Storage;
using Snapcat.Nbd.Client;
using Snapcat.Nbd.Protocol;
using Snapcat.Nbd.Tests.Server;

namespace Snapcat.Nbd.Tests.Interop;

/// <summary>Snapcat's NBD client against Snapcat's NBD server: the pairing agents and arrays use.</summary>
public sealed class ClientServerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static NbdAddress Addr(FileExportHost host) => new("127.0.0.1", host.Port);

    [Fact]
    public async Task Inquiry_and_list_carry_the_device_id_and_volume()
    {
        await using var host = await FileExportHost.StartAsync(8 << 20);
        var details = await NbdClient.InquireAsync(Addr(host), "1").WaitAsync(Deadline);
        Assert.Equal(8 << 20, details.Size);
        Assert.NotNull(details.Inquiry);
        Assert.Equal(FileExportHost.DeviceId, details.Inquiry.DeviceId);
        var list = await NbdClient.ListAsync(Addr(host)).WaitAsync(Deadline);
        Assert.Equal(["1", "2"], list.Select(e => e.Name).Order());
        Assert.All(list, e => Assert.StartsWith(InquiryDescription.Prefix, e.Description));
        var missing = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.InquireAsync(Addr(host), "9").WaitAsync(Deadline));
        Assert.Equal(ErrorKind.NotFound, missing.Kind);
    }

    [Fact]
    public async Task Concurrent_writes_and_reads_round_trip_and_reach_the_file()
    {
        await using var host = await FileExportHost.StartAsync(64 << 20);
        await using var c = await NbdClient.ConnectAsync(Addr(host), "1").WaitAsync(Deadline);
        Assert.True(c.CanMultiConn);
        Assert.True(c.StructuredReplies);
        var blocks = Enumerable.Range(0, 64).Select(_ => RandomNumberGenerator.GetBytes(64 * 1024)).ToArray();
        await Task.WhenAll(blocks.Select((b, i) => c.WriteAsync((long)i * b.Length * 3, b).AsTask())).WaitAsync(Deadline);
        await c.FlushAsync();
        var reads = await Task.WhenAll(blocks.Select(async (b, i) =>
        {
            var back = new byte[b.Length];
            await c.ReadAsync((long)i * b.Length * 3, back);
            return back;
        })).WaitAsync(Deadline);
        for (int i = 0; i < blocks.Length; i++) Assert.Equal(blocks[i], reads[i]);

        // A 40 MiB write exceeds the 32 MiB maximum payload: the client splits it.
        var big = RandomNumberGenerator.GetBytes(40 << 20);
        await c.WriteAsync(16 << 20, big, WriteFlags.Fua);
        var onDisk = new byte[big.Length];
        await host.Device("1").ReadAsync(16 << 20, onDisk);
        Assert.Equal(big, onDisk);
    }

    [Fact]
    public async Task Trim_makes_a_hole_that_block_status_reports()
    {
        await using var host = await FileExportHost.StartAsync(16 << 20);
        await using var c = await NbdClient.ConnectAsync(Addr(host), "1").WaitAsync(Deadline);
        await c.WriteAsync(0, RandomNumberGenerator.GetBytes(4 << 20));
        var before = await c.GetExtentsAsync(0, 4 << 20);
        Assert.All(before, e => Assert.False(e.IsHole));
        await c.TrimAsync(1 << 20, 1 << 20);
        await c.WriteZeroesAsync(2 << 20, 1 << 20, WriteFlags.NoHole);
        var after = await c.GetExtentsAsync(0, 4 << 20);
        Assert.Contains(after, e => e.IsHole && e.Offset <= 1 << 20 && e.Offset + e.Length >= 2 << 20);
        Assert.DoesNotContain(after, e => e.IsHole && e.Offset < 3 << 20 && e.Offset + e.Length > 2 << 20);
        var back = new byte[2 << 20];
        await c.ReadAsync(1 << 20, back);
        Assert.All(back, b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task A_read_only_export_refuses_writes_and_keeps_the_connection()
    {
        await using var host = await FileExportHost.StartAsync(4 << 20, withReadOnly: true);
        await using var c = await NbdClient.ConnectAsync(Addr(host), "ro").WaitAsync(Deadline);
        Assert.True(c.IsReadOnly);
        var ex = await Assert.ThrowsAsync<NbdCommandException>(async () => await c.WriteAsync(0, new byte[4096]));
        Assert.Equal(NbdError.Perm, ex.Error);
        var buf = new byte[4096];
        await c.ReadAsync(0, buf);   // still usable
    }

    [Fact]
    public async Task A_stream_over_the_export_copies_a_file_byte_exact()
    {
        await using var host = await FileExportHost.StartAsync(8 << 20);
        var data = RandomNumberGenerator.GetBytes((5 << 20) + 777);
        await using (var c = await NbdClient.ConnectAsync(Addr(host), "1").WaitAsync(Deadline))
        await using (var s = c.OpenStream())
        {
            await new MemoryStream(data).CopyToAsync(s);
            await s.FlushAsync();
        }
        await using var again = await NbdClient.ConnectAsync(Addr(host), "1").WaitAsync(Deadline);
        await using var r = again.OpenStream();
        var back = new byte[data.Length];
        await r.ReadExactlyAsync(back);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(back));
    }
}
