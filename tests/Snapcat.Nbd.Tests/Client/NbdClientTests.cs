using System.Security.Cryptography;
using Snapcat.Core.Errors;
using Snapcat.Core.Storage;
using Snapcat.Nbd.Client;
using Snapcat.Nbd.Protocol;
using Snapcat.TestKit;

namespace Snapcat.Nbd.Tests.Client;

public sealed class NbdClientTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Connect_reports_size_flags_and_negotiated_features()
    {
        await using var kit = await Nbdkit.StartAsync("memory", "64M");
        await using var c = await NbdClient.ConnectAsync(kit.Address, "");
        Assert.Equal(64L << 20, c.Size);
        Assert.False(c.IsReadOnly);
        Assert.True(c.StructuredReplies);
        Assert.NotNull(c.BaseAllocationContext);
        Assert.True(c.TransmissionFlags.HasFlag(NbdTransmissionFlags.HasFlags));
        Assert.True(c.TransmissionFlags.HasFlag(NbdTransmissionFlags.SendFlush));
        Assert.Equal(kit.Address, c.Address);
    }

    [Fact]
    public async Task Round_trip_of_random_data_splits_requests_above_the_maximum_block_size()
    {
        await using var kit = await Nbdkit.StartAsync("--filter=blocksize-policy", "memory", "64M",
            "blocksize-minimum=512", "blocksize-preferred=4096", "blocksize-maximum=65536", "blocksize-error-policy=error");
        await using var c = await NbdClient.ConnectAsync(kit.Address, "");
        Assert.Equal(65536, c.MaximumPayload);
        Assert.Equal(512u, c.MinimumBlockSize);

        // 1 MiB + 3 blocks: 17 requests, the last one short; the server refuses any larger one (error policy).
        var data = RandomNumberGenerator.GetBytes((1 << 20) + 3 * 512);
        await c.WriteAsync(4096, data).AsTask().WaitAsync(Deadline);
        var back = new byte[data.Length];
        await c.ReadAsync(4096, back).AsTask().WaitAsync(Deadline);
        Assert.Equal(data, back);

        // Untouched memory reads as zeroes, through OFFSET_HOLE chunks or data.
        var head = new byte[4096];
        await c.ReadAsync(0, head);
        Assert.All(head, b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task Many_requests_in_flight_on_one_connection_stay_byte_exact()
    {
        await using var kit = await Nbdkit.StartAsync("-t", "8", "memory", "64M");
        await using var c = await NbdClient.ConnectAsync(kit.Address, "");
        const int blocks = 64;
        const int blockSize = 128 * 1024;
        var data = Enumerable.Range(0, blocks).Select(_ => RandomNumberGenerator.GetBytes(blockSize)).ToArray();

        await Task.WhenAll(Enumerable.Range(0, blocks).Select(i => c.WriteAsync((long)i * blockSize, data[i]).AsTask())).WaitAsync(Deadline);

        // Reads of every block, plus rewrites of the odd half, all at once.
        var back = Enumerable.Range(0, blocks).Select(_ => new byte[blockSize]).ToArray();
        var rewrite = Enumerable.Range(0, blocks).Select(i => i % 2 == 1 ? RandomNumberGenerator.GetBytes(blockSize) : null).ToArray();
        var tasks = new List<Task>();
        for (int i = 0; i < blocks; i++)
        {
            if (i % 2 == 0) tasks.Add(c.ReadAsync((long)i * blockSize, back[i]).AsTask());
            else tasks.Add(c.WriteAsync((long)i * blockSize, rewrite[i]).AsTask());
        }
        await Task.WhenAll(tasks).WaitAsync(Deadline);
        for (int i = 0; i < blocks; i += 2) Assert.Equal(data[i], back[i]);

        await Task.WhenAll(Enumerable.Range(0, blocks).Where(i => i % 2 == 1).Select(i => c.ReadAsync((long)i * blockSize, back[i]).AsTask())).WaitAsync(Deadline);
        for (int i = 1; i < blocks; i += 2) Assert.Equal(rewrite[i], back[i]);
    }

    [Fact]
    public async Task Flush_and_fua_writes_reach_the_file()
    {
        using var dir = new TempDir("nbdc");
        string path = dir.Combine("disk.img");
        CreateSparse(path, 8 << 20);
        await using var kit = await Nbdkit.StartAsync("file", path);
        await using var c = await NbdClient.ConnectAsync(kit.Address, "");

        var a = RandomNumberGenerator.GetBytes(64 * 1024);
        var b = RandomNumberGenerator.GetBytes(4096);
        await c.WriteAsync(0, a);
        await c.FlushAsync();
        await c.WriteAsync(1 << 20, b, WriteFlags.Fua);

        var onDisk = File.ReadAllBytes(path);
        Assert.Equal(a, onDisk.AsSpan(0, a.Length).ToArray());
        Assert.Equal(b, onDisk.AsSpan(1 << 20, b.Length).ToArray());
    }

    [Fact]
    public async Task Trim_leaves_a_hole_that_block_status_reports()
    {
        using var dir = new TempDir("nbdc");
        string path = dir.Combine("disk.img");
        CreateSparse(path, 16 << 20);
        await using var kit = await Nbdkit.StartAsync("file", path);
        await using var c = await NbdClient.ConnectAsync(kit.Address, "");
        Assert.True(c.TransmissionFlags.HasFlag(NbdTransmissionFlags.SendTrim));

        await c.WriteAsync(0, RandomNumberGenerator.GetBytes(2 << 20));
        await c.FlushAsync();
        var before = await c.GetExtentsAsync(0, 2 << 20);
        Assert.False(before[0].IsHole);
        Assert.Equal(0, before[0].Offset);

        await c.TrimAsync(1 << 20, 1 << 20);
        var after = await c.GetExtentsAsync(1 << 20, 1 << 20);
        Assert.Equal(1L << 20, after[0].Offset);
        Assert.True(after[0].IsHole, $"extents after trim: {string.Join(", ", after)}");
        Assert.True(after[0].Flags.HasFlag(ExtentFlags.Zero));
        Assert.True(after.Sum(e => e.Length) <= 1 << 20);

        // Extents stay contiguous from the requested offset, and a tail of the file is still a hole.
        var whole = await c.GetExtentsAsync(0, c.Size);
        for (int i = 1; i < whole.Count; i++) Assert.Equal(whole[i - 1].Offset + whole[i - 1].Length, whole[i].Offset);
        Assert.True(whole[^1].IsHole);

        var back = new byte[1 << 20];
        await c.ReadAsync(1 << 20, back);
        Assert.All(back, x => Assert.Equal(0, x));
    }

    [Fact]
    public async Task Write_zeroes_zeroes_the_range_with_and_without_no_hole()
    {
        await using var kit = await Nbdkit.StartAsync("memory", "16M");
        await using var c = await NbdClient.ConnectAsync(kit.Address, "");
        Assert.True(c.TransmissionFlags.HasFlag(NbdTransmissionFlags.SendWriteZeroes));
        var data = RandomNumberGenerator.GetBytes(1 << 20);
        await c.WriteAsync(0, data);

        await c.WriteZeroesAsync(4096, 8192);
        await c.WriteZeroesAsync(65536, 65536, WriteFlags.NoHole | WriteFlags.Fua);

        var back = new byte[data.Length];
        await c.ReadAsync(0, back);
        System.Array.Clear(data, 4096, 8192);
        System.Array.Clear(data, 65536, 65536);
        Assert.Equal(data, back);
    }

    [Fact]
    public async Task List_and_inquiry_return_names_and_the_snapcat_description()
    {
        var desc = new InquiryDescription("ARR-01", 3).ToString();
        await using var kit = await Nbdkit.StartAsync("--filter=exportname", "memory", "4M",
            "exportname-list=explicit", "exportname-strict=true", "exportname=3", "exportname=4", $"exportdesc=fixed:{desc}");

        var list = await NbdClient.ListAsync(kit.Address).WaitAsync(Deadline);
        Assert.Equal(["3", "4"], list.Select(l => l.Name));
        Assert.All(list, l => Assert.Equal(desc, l.Description));

        var info = await NbdClient.InquireAsync(kit.Address, "3", CancellationToken.None).WaitAsync(Deadline);
        Assert.Equal("3", info.ExportName);
        Assert.Equal(4L << 20, info.Size);
        Assert.Equal(desc, info.Description);
        Assert.Equal(new InquiryDescription("ARR-01", 3), info.Inquiry);
        Assert.True(info.TransmissionFlags.HasFlag(NbdTransmissionFlags.HasFlags));

        await using var c = await NbdClient.ConnectAsync(kit.Address, "4");
        Assert.Equal(desc, c.Description);
        Assert.Equal("4", c.ExportName);
    }

    [Fact]
    public async Task Unknown_export_is_a_clear_not_found_error()
    {
        await using var kit = await Nbdkit.StartAsync("--filter=exportname", "memory", "4M",
            "exportname-list=explicit", "exportname-strict=true", "exportname=3");

        var ex = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.ConnectAsync(kit.Address, "7"));
        Assert.Equal(ErrorKind.NotFound, ex.Kind);
        Assert.StartsWith($"nbd server at {kit.Address} has no export '7'", ex.Message);

        var inq = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.InquireAsync(kit.Address, "7", CancellationToken.None));
        Assert.Equal("nbd.export_not_found", inq.Code);

        // The EXPORT_NAME path has no error reply: the server hangs up, which must read the same.
        var old = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.ConnectAsync(kit.Address, "7", new NbdClientOptions { ForceExportName = true }));
        Assert.Equal(ErrorKind.NotFound, old.Kind);
        Assert.Contains("has no export '7'", old.Message);
    }

    [Fact]
    public async Task Export_name_fallback_path_transfers_data()
    {
        await using var kit = await Nbdkit.StartAsync("memory", "4M");
        await using var c = await NbdClient.ConnectAsync(kit.Address, "", new NbdClientOptions { ForceExportName = true });
        Assert.Equal(4L << 20, c.Size);
        var data = RandomNumberGenerator.GetBytes(100_000);
        await c.WriteAsync(12345, data);
        var back = new byte[data.Length];
        await c.ReadAsync(12345, back);
        Assert.Equal(data, back);
    }

    [Fact]
    public async Task Simple_replies_only_still_read_and_write()
    {
        await using var kit = await Nbdkit.StartAsync("memory", "4M");
        await using var c = await NbdClient.ConnectAsync(kit.Address, "", new NbdClientOptions { StructuredReplies = false });
        Assert.False(c.StructuredReplies);
        var data = RandomNumberGenerator.GetBytes(300_000);
        await c.WriteAsync(0, data);
        var back = new byte[data.Length];
        await c.ReadAsync(0, back);
        Assert.Equal(data, back);
        // Without a meta context the always-correct answer is "all data".
        var ext = await c.GetExtentsAsync(0, 4096);
        Assert.Equal([new BlockExtent(0, 4096, ExtentFlags.Data)], ext);
    }

    [Fact]
    public async Task Connection_refused_names_the_address()
    {
        var address = new NbdAddress("127.0.0.1", FreePort.Next());
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.ConnectAsync(address, "x").WaitAsync(Deadline));
        Assert.Equal(ErrorKind.Remote, ex.Kind);
        Assert.Equal("nbd.unreachable", ex.Code);
        Assert.Contains(address.ToString(), ex.Message);
        Assert.Contains("refused", ex.Message);
    }

    [Fact]
    public async Task Stream_copy_of_a_file_is_byte_exact()
    {
        using var dir = new TempDir("nbdc");
        string source = dir.Combine("source.bin");
        string target = dir.Combine("target.img");
        var content = RandomNumberGenerator.GetBytes((5 << 20) + 777);
        File.WriteAllBytes(source, content);
        CreateSparse(target, 8 << 20);
        await using var kit = await Nbdkit.StartAsync("file", target);
        await using var c = await NbdClient.ConnectAsync(kit.Address, "");

        await using (var nbd = c.OpenStream())
        await using (var src = File.OpenRead(source))
        {
            await src.CopyToAsync(nbd, 1 << 20);
            Assert.Equal(content.Length, nbd.Position);
            await nbd.FlushAsync();
        }

        await using var readBack = c.OpenStream();
        var limited = new byte[content.Length];
        await readBack.ReadExactlyAsync(limited);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(limited));
        // The rest of the export reads as zeroes to its end, then the stream stops.
        var tail = new byte[c.Size - content.Length];
        await readBack.ReadExactlyAsync(tail);
        Assert.All(tail, b => Assert.Equal(0, b));
        Assert.Equal(0, await readBack.ReadAsync(new byte[10]));
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(File.ReadAllBytes(target).AsSpan(0, content.Length)));
    }

    [Fact]
    public async Task Read_only_server_rejects_writes_with_eperm()
    {
        await using var kit = await Nbdkit.StartAsync("-r", "memory", "4M");
        await using var c = await NbdClient.ConnectAsync(kit.Address, "");
        Assert.True(c.IsReadOnly);
        var ex = await Assert.ThrowsAsync<NbdCommandException>(() => c.WriteAsync(0, new byte[4096]).AsTask());
        Assert.Equal(NbdError.Perm, ex.Error);
        Assert.Equal(NbdCommand.Write, ex.Command);
        Assert.Contains("EPERM", ex.Message);

        // An error reply fails one request only: the connection keeps working.
        var back = new byte[4096];
        await c.ReadAsync(0, back);
        Assert.False(c.IsBroken);
    }

    [Fact]
    public async Task Cancelled_read_does_not_break_the_connection()
    {
        await using var kit = await Nbdkit.StartAsync("--filter=delay", "memory", "4M", "rdelay=500ms");
        await using var c = await NbdClient.ConnectAsync(kit.Address, "");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var buffer = new byte[4096];
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => c.ReadAsync(0, buffer, cts.Token).AsTask());
        await c.WriteAsync(0, new byte[] { 1, 2, 3, 4 });
        var back = new byte[4];
        await c.ReadAsync(0, back).AsTask().WaitAsync(Deadline);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, back);
        Assert.False(c.IsBroken);
    }

    private static void CreateSparse(string path, long size)
    {
        using var f = File.Create(path);
        f.SetLength(size);
    }
}
