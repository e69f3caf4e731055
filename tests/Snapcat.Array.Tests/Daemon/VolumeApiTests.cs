using System.Net;
using System.Net.Http.Json;
using Snapcat.Contracts.Array;
using Snapcat.Core.Storage;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Daemon;

/// <summary>One real daemon for the class; every test makes its own volumes and LUNs.</summary>
public sealed class ArrayDaemonFixture : IAsyncLifetime
{
    private readonly SnapcatSystem _system = new("volume-api");
    private int _nextLun = 100;

    public ArrayNode Array { get; private set; } = null!;

    public uint NextLun() => (uint)Interlocked.Increment(ref _nextLun);

    public async Task InitializeAsync() => Array = await _system.StartArrayAsync("ARRAY-T1");

    public async Task DisposeAsync() => await _system.DisposeAsync();
}

public sealed class VolumeApiTests(ArrayDaemonFixture fx) : IClassFixture<ArrayDaemonFixture>
{
    private ArrayNode A => fx.Array;

    [Fact]
    public async Task Array_info_names_device_and_data_ports()
    {
        var info = await A.GetAsync<ArrayInfo>("/v1/array");
        Assert.Equal("ARRAY-T1", info.DeviceId);
        Assert.Equal(A.DataPorts, info.DataPorts.Select(p => p.Address).ToArray());
    }

    [Fact]
    public async Task Create_show_list_delete_volume_as_sparse_file()
    {
        var v = await A.Client.CreateVolumeAsync("64M");
        Assert.Equal(64L << 20, v.Size);
        Assert.Equal("volume", v.Kind);
        Assert.False(v.HasVolumeInfo);
        Assert.Empty(v.Assignments);

        string file = Path.Combine(A.DataPath, "volumes", $"{v.Number:D6}.vol");
        Assert.Equal(64L << 20, new FileInfo(file).Length);
        Assert.True(FileAllocation.AllocatedBytes(file) < 64 * 1024, "a new volume must be sparse");
        Assert.True(v.AllocatedBytes < 64 * 1024);

        var shown = await A.Client.GetVolumeAsync(v.Number);
        Assert.Equal(v.Number, shown.Number);
        Assert.Equal(v.Size, shown.Size);

        var list = await A.GetAsync<List<VolumeDto>>("/v1/volumes");
        Assert.Contains(list, x => x.Number == v.Number && x.Size == v.Size);

        var del = await A.Http.DeleteAsync($"/v1/volumes/{v.Number}");
        Assert.Equal(HttpStatusCode.NoContent, del.StatusCode);
        Assert.False(File.Exists(file));
        var gone = await HttpAssert.ExpectErrorAsync(await A.Http.GetAsync($"/v1/volumes/{v.Number}"), 404);
        Assert.Equal("volume.not_found", gone.Code);
    }

    [Fact]
    public async Task Volume_numbers_are_not_reused_after_delete()
    {
        var a = await A.Client.CreateVolumeAsync("1M");
        Assert.Equal(HttpStatusCode.NoContent, (await A.Http.DeleteAsync($"/v1/volumes/{a.Number}")).StatusCode);
        var b = await A.Client.CreateVolumeAsync("1M");
        Assert.True(b.Number > a.Number, $"volume {b.Number} reuses or precedes deleted {a.Number}");
    }

    [Theory]
    [InlineData("512K", 512L << 10)]
    [InlineData("20G", 20L << 30)]
    [InlineData("4096", 4096L)]
    [InlineData("1GiB", 1L << 30)]
    public async Task Sizes_with_units_are_parsed(string text, long bytes)
    {
        var v = await A.Client.CreateVolumeAsync(text);
        Assert.Equal(bytes, v.Size);
        await A.Http.DeleteAsync($"/v1/volumes/{v.Number}");
    }

    [Theory]
    [InlineData("12Q", "unknown unit")]
    [InlineData("", "empty")]
    [InlineData("1.5G", "not a whole number")]
    [InlineData("abc", "unknown unit")]
    [InlineData("1000", "multiple of 512")]
    [InlineData("0", "positive")]
    [InlineData("99999999999P", "too large")]
    public async Task Bad_sizes_are_refused_with_400(string text, string fragment)
    {
        var r = await A.Http.PostAsJsonAsync("/v1/volumes", new CreateVolumeRequest(text));
        var e = await HttpAssert.ExpectErrorAsync(r, 400);
        Assert.Contains(fragment, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Missing_or_malformed_body_is_400()
    {
        var empty = new StringContent("", System.Text.Encoding.UTF8, "application/json");
        var e1 = await HttpAssert.ExpectErrorAsync(await A.Http.PostAsync("/v1/volumes", empty), 400);
        Assert.Contains("needs a JSON body", e1.Message);
        var bad = new StringContent("{nope", System.Text.Encoding.UTF8, "application/json");
        var e2 = await HttpAssert.ExpectErrorAsync(await A.Http.PostAsync("/v1/volumes", bad), 400);
        Assert.Contains("not valid JSON", e2.Message);
        var e3 = await HttpAssert.ExpectErrorAsync(await A.Http.GetAsync("/v1/volumes/x1"), 400);
        Assert.Contains("not a volume number", e3.Message);
    }

    [Fact]
    public async Task Assign_lookup_release_and_duplicate_lun_conflict()
    {
        var v = await A.Client.CreateVolumeAsync("1M");
        var w = await A.Client.CreateVolumeAsync("1M");
        uint lun = fx.NextLun();
        string port = A.DataPorts[0];

        var a = await HttpAssert.ReadAsync<AssignmentDto>(await A.AssignAsync(v.Number, port, lun, readOnly: true), HttpStatusCode.Created);
        Assert.Equal(new AssignmentDto(port, lun, true), a);

        var lunDto = await A.GetAsync<LunDto>($"/v1/ports/{Uri.EscapeDataString(port)}/luns/{lun}");
        Assert.Equal(v.Number, lunDto.Volume);
        Assert.Equal("ARRAY-T1", lunDto.DeviceId);
        Assert.True(lunDto.ReadOnly);

        var shown = await A.Client.GetVolumeAsync(v.Number);
        Assert.Equal([new AssignmentDto(port, lun, true)], shown.Assignments);

        var dup = await HttpAssert.ExpectErrorAsync(await A.AssignAsync(w.Number, port, lun), 409);
        Assert.Contains($"already assigned to volume {v.Number}", dup.Message);

        // The same LUN on the other port is a different address: allowed.
        Assert.Equal(HttpStatusCode.Created, (await A.AssignAsync(w.Number, A.DataPorts[1], lun)).StatusCode);

        var rel = await A.Http.DeleteAsync($"/v1/ports/{Uri.EscapeDataString(port)}/luns/{lun}");
        Assert.Equal(HttpStatusCode.NoContent, rel.StatusCode);
        await HttpAssert.ExpectErrorAsync(await A.Http.GetAsync($"/v1/ports/{Uri.EscapeDataString(port)}/luns/{lun}"), 404);
        await HttpAssert.ExpectErrorAsync(await A.Http.DeleteAsync($"/v1/ports/{Uri.EscapeDataString(port)}/luns/{lun}"), 404);
        Assert.Empty((await A.Client.GetVolumeAsync(v.Number)).Assignments);
    }

    [Fact]
    public async Task Assign_to_unknown_port_or_volume_is_refused()
    {
        var v = await A.Client.CreateVolumeAsync("1M");
        var e = await HttpAssert.ExpectErrorAsync(await A.AssignAsync(v.Number, "127.0.0.1:1", fx.NextLun()), 404);
        Assert.Contains("is not a data port", e.Message);
        var bad = await HttpAssert.ExpectErrorAsync(await A.AssignAsync(v.Number, "nonsense", fx.NextLun()), 400);
        Assert.Contains("host:port", bad.Message);
        await HttpAssert.ExpectErrorAsync(await A.AssignAsync(999_999, A.DataPorts[0], fx.NextLun()), 404);
    }

    [Fact]
    public async Task Delete_is_refused_while_assigned_unless_forced()
    {
        var v = await A.Client.CreateVolumeAsync("1M");
        uint lun = fx.NextLun();
        Assert.Equal(HttpStatusCode.Created, (await A.AssignAsync(v.Number, A.DataPorts[0], lun)).StatusCode);

        var e = await HttpAssert.ExpectErrorAsync(await A.Http.DeleteAsync($"/v1/volumes/{v.Number}"), 409);
        Assert.Equal("volume.in_use", e.Code);
        Assert.Contains($"LUN {lun}", e.Message);
        Assert.Equal(v.Number, (await A.Client.GetVolumeAsync(v.Number)).Number);

        Assert.Equal(HttpStatusCode.NoContent, (await A.Http.DeleteAsync($"/v1/volumes/{v.Number}?force=true")).StatusCode);
        await HttpAssert.ExpectErrorAsync(await A.Http.GetAsync($"/v1/ports/{Uri.EscapeDataString(A.DataPorts[0])}/luns/{lun}"), 404);
    }

    [Fact]
    public async Task Volume_info_round_trip_and_length_checks()
    {
        var v = await A.Client.CreateVolumeAsync("1M");
        await HttpAssert.ExpectErrorAsync(await A.Http.GetAsync($"/v1/volumes/{v.Number}/info"), 404);

        byte[] info = new byte[512];
        Random.Shared.NextBytes(info);
        Assert.Equal(HttpStatusCode.NoContent, (await A.PutInfoAsync(v.Number, info)).StatusCode);

        var got = await A.Http.GetAsync($"/v1/volumes/{v.Number}/info");
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal("application/octet-stream", got.Content.Headers.ContentType?.MediaType);
        Assert.Equal(info, await got.Content.ReadAsByteArrayAsync());

        var shown = await A.Client.GetVolumeAsync(v.Number);
        Assert.True(shown.HasVolumeInfo);
        Assert.Equal(Convert.ToBase64String(info), shown.VolumeInfo);
        Assert.Equal(v.Size, shown.Size);
        Assert.True(shown.AllocatedBytes < 64 * 1024, "volume information must not be written into the volume");

        foreach (int len in new[] { 0, 511, 513, 4096 })
        {
            var e = await HttpAssert.ExpectErrorAsync(await A.PutInfoAsync(v.Number, new byte[len]), 400);
            Assert.Contains("exactly 512 bytes", e.Message);
        }
        Assert.Equal(info, await A.Http.GetByteArrayAsync($"/v1/volumes/{v.Number}/info"));

        Assert.Equal(HttpStatusCode.NoContent, (await A.Http.DeleteAsync($"/v1/volumes/{v.Number}/info")).StatusCode);
        await HttpAssert.ExpectErrorAsync(await A.Http.GetAsync($"/v1/volumes/{v.Number}/info"), 404);
        Assert.False((await A.Client.GetVolumeAsync(v.Number)).HasVolumeInfo);
        await HttpAssert.ExpectErrorAsync(await A.PutInfoAsync(999_999, info), 404);
    }

    [Fact]
    public async Task Volume_infos_lists_every_volume_with_its_record()
    {
        var withInfo = await A.Client.CreateVolumeAsync("1M");
        var without = await A.Client.CreateVolumeAsync("2M");
        byte[] info = Enumerable.Range(0, 512).Select(i => (byte)(i * 7)).ToArray();
        Assert.Equal(HttpStatusCode.NoContent, (await A.PutInfoAsync(withInfo.Number, info)).StatusCode);

        var listing = await A.GetAsync<VolumeInfoListing>("/v1/volume-infos");
        Assert.Equal("ARRAY-T1", listing.DeviceId);
        var e1 = Assert.Single(listing.Volumes, x => x.Number == withInfo.Number);
        Assert.Equal(Convert.ToBase64String(info), e1.VolumeInfo);
        Assert.Equal(1L << 20, e1.Size);
        var e2 = Assert.Single(listing.Volumes, x => x.Number == without.Number);
        Assert.Null(e2.VolumeInfo);

        var list = await A.GetAsync<List<VolumeDto>>("/v1/volumes?info=true");
        Assert.Equal(Convert.ToBase64String(info), list.Single(x => x.Number == withInfo.Number).VolumeInfo);
        var plain = await A.GetAsync<List<VolumeDto>>("/v1/volumes");
        Assert.Null(plain.Single(x => x.Number == withInfo.Number).VolumeInfo);
    }
}
