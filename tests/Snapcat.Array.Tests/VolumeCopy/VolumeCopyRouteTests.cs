using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Snapcat.Array.Api;
using Snapcat.Array.Config;
using Snapcat.Array.Volumes;
using Snapcat.ControlApi.Hosting;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;
using Snapcat.Contracts.Array;

namespace Snapcat.Array.Tests.VolumeCopy;

/// <summary>
/// POST /v1/volume-copies as <see cref="ArrayApi.MapVolumeCopyApi"/> maps it, in a real Kestrel host over a
/// real volume manager, called through <see cref="ArrayClient"/>: orders are checked before a job starts,
/// and a good order runs to the end as a job.
/// </summary>
public sealed class VolumeCopyRouteTests : IAsyncLifetime
{
    private const long Size = 24L << 20;   // FillAsync writes up to 21 MiB
    private readonly TempDir _dir = new("vcroute");
    private readonly JobRegistry _jobs = new();
    private VolumeManager _volumes = null!;
    private WebApplication _app = null!;
    private ArrayClient _client = null!;

    public async Task InitializeAsync()
    {
        _volumes = VolumeManager.Open(_dir.Path, "ARRAY-R", []);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));  // the kernel picks the port; Kestrel reports it
        _app = builder.Build();
        _app.UseMiddleware<ErrorMiddleware>();
        _app.MapVolumeCopyApi(_volumes, new Dictionary<string, PeerArrayConfig>
        {
            ["ARRAY-PEER"] = new() { Url = "http://127.0.0.1:9", Token = "t" },
        }, _jobs);
        await _app.StartAsync();
        _client = new ArrayClient(new Uri(ControlApiApp.Addresses(_app).First()), "no-auth-in-this-host", TimeSpan.FromSeconds(10));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _volumes.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_good_order_within_the_array_runs_as_a_job_that_copies_data_then_information()
    {
        var src = _volumes.Create(Size);
        var dst = _volumes.Create(Size);
        await VolumeCopyHandlerTests.FillAsync(_volumes.GetDevice(src.Number), seed: 21);
        byte[] info = VolumeCopyHandlerTests.Random(512, 22);
        _volumes.PutVolumeInfo(src.Number, info);

        var started = await _client.StartVolumeCopyAsync(new VolumeCopyOrder(src.Number, dst.Number));
        Assert.Equal("volume-copy", started.Kind);
        var job = _jobs.Get(started.Id);
        await job.Completion.WaitAsync(TimeSpan.FromSeconds(60));
        var done = job.Snapshot();
        Assert.True(done.State == JobState.Succeeded, $"{done.State}: {done.ErrorMessage}");
        Assert.Equal((Size, Size), (done.BytesDone, done.BytesTotal));
        Assert.Equal(dst.Number, done.Result!["destinationVolume"]!.GetValue<uint>());
        Assert.Equal(info, _volumes.GetVolumeInfo(dst.Number));
        Assert.Equal(await VolumeCopyHandlerTests.HashAsync(_volumes.GetDevice(src.Number)),
            await VolumeCopyHandlerTests.HashAsync(_volumes.GetDevice(dst.Number)));
    }

    [Fact]
    public async Task Bad_orders_are_refused_before_any_job_starts()
    {
        var a = _volumes.Create(Size);
        var b = _volumes.Create(Size);
        var big = _volumes.Create(Size * 2);
        var cases = new (VolumeCopyOrder Order, ErrorKind Kind, string Code)[]
        {
            (new(a.Number), ErrorKind.Invalid, "volume_copy.no_destination"),
            (new(a.Number, b.Number, null, "127.0.0.1:10809", 1), ErrorKind.Invalid, "volume_copy.ambiguous_destination"),
            (new(a.Number, a.Number), ErrorKind.Invalid, "volume_copy.same_volume"),
            (new(a.Number, big.Number), ErrorKind.Invalid, "volume_copy.size_mismatch"),
            (new(a.Number, 999), ErrorKind.NotFound, "volume.not_found"),
            (new(999, b.Number), ErrorKind.NotFound, "volume.not_found"),
            (new(a.Number, b.Number, "ARRAY-PEER"), ErrorKind.Invalid, "volume_copy.remote_volume_number"),
            (new(a.Number, null, "ARRAY-UNKNOWN", "127.0.0.1:10809", 1), ErrorKind.Invalid, "volume_copy.unknown_peer"),
            (new(a.Number, null, null, "127.0.0.1:10809", 1), ErrorKind.Invalid, "volume_copy.no_device_id"),
            (new(a.Number, null, "ARRAY-PEER", "127.0.0.1:10809", null), ErrorKind.Invalid, "volume_copy.incomplete_destination"),
            (new(a.Number, null, "ARRAY-PEER", "not-an-address", 1), ErrorKind.Invalid, "volume_copy.bad_port"),
        };
        foreach (var (order, kind, code) in cases)
        {
            var ex = await Assert.ThrowsAsync<SnapcatException>(() => _client.StartVolumeCopyAsync(order));
            Assert.True((kind, code) == (ex.Kind, ex.Code), $"{order}: expected {kind} {code}, got {ex.Kind} {ex.Code}: {ex.Message}");
        }
        Assert.Empty(_jobs.List());
    }
}
