using System.Security.Cryptography;
using System.Text.Json;
using Snapcat.TestKit;

namespace Snapcat.Nbd.Tests.Server;

/// <summary>The server against real NBD clients: libnbd's nbdinfo/nbdcopy and QEMU's qemu-img/qemu-io.</summary>
public sealed class NbdServerToolTests
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Nbdinfo_json_shows_size_and_description()
    {
        await using var host = await FileExportHost.StartAsync(8 << 20);
        var r = (await Tool.RunAsync("nbdinfo", ["--json", host.Uri("1")], ToolTimeout)).EnsureSuccess("nbdinfo --json");
        using var doc = JsonDocument.Parse(r.Stdout);
        var export = doc.RootElement.GetProperty("exports")[0];
        Assert.Equal("1", export.GetProperty("export-name").GetString());
        Assert.Equal(8L << 20, export.GetProperty("export-size").GetInt64());
        Assert.Equal(host.DescriptionOf("1"), export.GetProperty("description").GetString());
        Assert.True(doc.RootElement.GetProperty("structured").GetBoolean());
        Assert.True(export.GetProperty("can_multi_conn").GetBoolean());
        Assert.False(export.GetProperty("is_read_only").GetBoolean());
        Assert.Equal(33554432, export.GetProperty("block_size_maximum").GetInt64());
        Assert.Contains(export.GetProperty("contexts").EnumerateArray(), c => c.GetString() == "base:allocation");
        Assert.True(InquiryDescription.TryParse(export.GetProperty("description").GetString(), out var inq));
        Assert.Equal(1u, inq!.Volume);
    }

    [Fact]
    public async Task Nbdinfo_list_shows_both_exports_with_descriptions()
    {
        await using var host = await FileExportHost.StartAsync(1 << 20, 2 << 20);
        var r = (await Tool.RunAsync("nbdinfo", ["--list", "--json", $"nbd://127.0.0.1:{host.Port}"], ToolTimeout)).EnsureSuccess("nbdinfo --list");
        using var doc = JsonDocument.Parse(r.Stdout);
        var exports = doc.RootElement.GetProperty("exports").EnumerateArray()
            .ToDictionary(e => e.GetProperty("export-name").GetString()!, e => e);
        Assert.Equal(["1", "2"], exports.Keys.Order());
        Assert.Equal(host.DescriptionOf("1"), exports["1"].GetProperty("description").GetString());
        Assert.Equal(host.DescriptionOf("2"), exports["2"].GetProperty("description").GetString());
        Assert.Equal(2L << 20, exports["2"].GetProperty("export-size").GetInt64());
    }

    [Fact]
    public async Task Nbdcopy_in_and_out_of_an_export_is_byte_exact()
    {
        const long size = 256L << 20;
        await using var host = await FileExportHost.StartAsync(size);
        string src = host.Dir.Combine("src.raw"), dst = host.Dir.Combine("dst.raw");
        byte[] srcHash = WriteRandomFile(src, size);

        (await Tool.RunAsync("nbdcopy", [src, host.Uri("1")], ToolTimeout)).EnsureSuccess("nbdcopy in");
        File.Create(dst).Dispose();
        (await Tool.RunAsync("nbdcopy", [host.Uri("1"), dst], ToolTimeout)).EnsureSuccess("nbdcopy out");

        Assert.Equal(Convert.ToHexString(srcHash), Convert.ToHexString(HashFile(dst)));
        Assert.Equal(Convert.ToHexString(srcHash), Convert.ToHexString(HashFile(host.Device("1").Path)));
    }

    [Fact]
    public async Task Qemu_img_convert_reads_the_export_byte_exact()
    {
        const long size = 16L << 20;
        await using var host = await FileExportHost.StartAsync(size);
        var data = new byte[4 << 20];
        Random.Shared.NextBytes(data);
        await host.Device("1").WriteAsync(4 << 20, data);  // data in the middle, holes around it
        string outFile = host.Dir.Combine("out.raw");

        (await Tool.RunAsync("qemu-img", ["convert", "-f", "raw", "-O", "raw", host.Uri("1"), outFile], ToolTimeout)).EnsureSuccess("qemu-img convert");

        Assert.Equal(size, new FileInfo(outFile).Length);
        Assert.Equal(Convert.ToHexString(HashFile(host.Device("1").Path)), Convert.ToHexString(HashFile(outFile)));
    }

    [Fact]
    public async Task Qemu_io_discard_makes_a_hole_that_nbdinfo_map_shows()
    {
        await using var host = await FileExportHost.StartAsync(1 << 20, 4 << 20);
        var dev = host.Device("2");
        var ones = new byte[4 << 20];
        System.Array.Fill(ones, (byte)0xA5);
        await dev.WriteAsync(0, ones);
        await dev.FlushAsync();

        var before = await MapAsync(host.Uri("2"));
        Assert.Equal(0, before[0].Type & 1);  // all data before the trim

        (await Tool.RunAsync("qemu-io", ["-f", "raw", "-c", "discard 0 1M", "-c", "write -P 0x5a 2M 64k", host.Uri("2")], ToolTimeout)).EnsureSuccess("qemu-io discard");

        var map = await MapAsync(host.Uri("2"));
        Assert.Equal(0, map[0].Offset);
        Assert.Equal(1 << 20, map[0].Length);
        Assert.Equal(3, map[0].Type);  // hole | zero
        Assert.Equal(0, map[1].Type & 1);
        var back = new byte[64 << 10];
        await dev.ReadAsync(2 << 20, back);
        Assert.All(back, b => Assert.Equal(0x5a, b));
        var head = new byte[4096];
        await dev.ReadAsync(0, head);
        Assert.All(head, b => Assert.Equal(0, b));
    }

    private static async Task<List<(long Offset, long Length, int Type)>> MapAsync(string uri)
    {
        var r = (await Tool.RunAsync("nbdinfo", ["--map", "--json", uri], ToolTimeout)).EnsureSuccess("nbdinfo --map");
        using var doc = JsonDocument.Parse(r.Stdout);
        return doc.RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("offset").GetInt64(), e.GetProperty("length").GetInt64(), e.GetProperty("type").GetInt32()))
            .ToList();
    }

    private static byte[] WriteRandomFile(string path, long size)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var f = File.Create(path);
        var buf = new byte[4 << 20];
        for (long done = 0; done < size; done += buf.Length)
        {
            Random.Shared.NextBytes(buf);
            sha.AppendData(buf);
            f.Write(buf);
        }
        return sha.GetHashAndReset();
    }

    private static byte[] HashFile(string path)
    {
        using var f = File.OpenRead(path);
        return SHA256.HashData(f);
    }
}
