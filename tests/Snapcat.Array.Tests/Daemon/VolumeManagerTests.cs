using Snapcat.Array.DataPorts;
using Snapcat.Array.Volumes;
using Snapcat.Core.Errors;
using Snapcat.Core.Storage;
using Snapcat.Nbd;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Daemon;

/// <summary>The volume manager, volume device and export catalog in process, on real files.</summary>
public sealed class VolumeManagerTests : IDisposable
{
    private static readonly NbdAddress Port = NbdAddress.Parse("127.0.0.1:10809");
    private readonly TempDir _dir = new("mgr");

    private VolumeManager Open() => VolumeManager.Open(_dir.Path, "ARRAY-UT", [Port]);

    [Fact]
    public async Task Orphan_files_from_an_interrupted_create_are_removed_at_open()
    {
        uint kept;
        await using (var m = Open()) kept = m.Create(1 << 20).Number;
        string volumes = Path.Combine(_dir.Path, VolumeManager.VolumesFolder);
        string orphan = Path.Combine(volumes, VolumeManager.FileName(kept + 1));
        File.WriteAllBytes(orphan, new byte[512]);   // file written, row never committed
        File.WriteAllText(Path.Combine(volumes, "junk.tmp"), "x");

        await using (var m = Open())
        {
            Assert.False(File.Exists(orphan));
            Assert.False(File.Exists(Path.Combine(volumes, "junk.tmp")));
            Assert.True(File.Exists(m.VolumePath(kept)));
            Assert.Equal(kept + 1, m.Create(512).Number);   // the orphan's number was never acknowledged
        }
    }

    [Fact]
    public async Task Volume_info_never_changes_volume_size_or_data()
    {
        await using var m = Open();
        var v = m.Create(1 << 20);
        var dev = m.GetDevice(v.Number);
        byte[] data = Enumerable.Range(0, 4096).Select(i => (byte)(i * 31)).ToArray();
        await dev.WriteAsync(8192, data);
        m.PutVolumeInfo(v.Number, new byte[512].Select(_ => (byte)0xAB).ToArray());
        var ex = Assert.Throws<SnapcatException>(() => m.PutVolumeInfo(v.Number, new byte[100]));
        Assert.Equal(ErrorKind.Invalid, ex.Kind);

        Assert.Equal(1L << 20, new FileInfo(m.VolumePath(v.Number)).Length);
        byte[] back = new byte[4096];
        await dev.ReadAsync(8192, back);
        Assert.Equal(data, back);
        Assert.All(m.GetVolumeInfo(v.Number)!, b => Assert.Equal(0xAB, b));
    }

    [Fact]
    public async Task Delete_refused_for_mirror_and_snapshot_references_unless_forced()
    {
        await using var m = Open();
        var p = m.Create(1 << 20);
        var s = m.Create(1 << 20);
        m.Table.Transaction(tx => { m.Table.InsertMirrorDestination(p.Number, s.Number, tx); return 0; });
        var e1 = await Assert.ThrowsAsync<SnapcatException>(() => m.DeleteAsync(p.Number, force: false));
        Assert.Equal(ErrorKind.Conflict, e1.Kind);
        Assert.Contains("mirror primary", e1.Message);
        var e2 = await Assert.ThrowsAsync<SnapcatException>(() => m.DeleteAsync(s.Number, force: false));
        Assert.Contains("mirror destination", e2.Message);

        await m.DeleteAsync(p.Number, force: true);
        Assert.Empty(m.Get(s.Number).MirrorDestinations);
        await m.DeleteAsync(s.Number, force: false);
        Assert.Empty(m.List());
    }

    [Fact]
    public async Task Catalog_lists_assigned_luns_with_inquiry_description_and_counts_writers()
    {
        await using var m = Open();
        var rw = m.Create(1 << 20);
        var ro = m.Create(2 << 20);
        m.Assign(rw.Number, "127.0.0.1:10809", 1, readOnly: false);
        m.Assign(ro.Number, "127.0.0.1:10809", 2, readOnly: true);
        var catalog = new ArrayExportCatalog(Port, m);

        var list = catalog.List();
        Assert.Equal(["1", "2"], list.Select(x => x.Name).ToArray());
        Assert.True(InquiryDescription.TryParse(list[1].Description, out var inq));
        Assert.Equal(new InquiryDescription("ARRAY-UT", ro.Number), inq);

        Assert.Null(await catalog.OpenAsync("3", default));
        Assert.Null(await catalog.OpenAsync("01", default));
        Assert.Null(await catalog.OpenAsync("x", default));

        var h1 = (await catalog.OpenAsync("1", default))!;
        var h2 = (await catalog.OpenAsync("1", default))!;
        Assert.False(h1.ReadOnly);
        Assert.Same(h1.Device, h2.Device);    // one shared device per volume (MULTI_CONN)
        Assert.Same(m.GetDevice(rw.Number), h1.Device);
        Assert.Equal(2, m.OpenWriters(rw.Number));
        await h1.DisposeAsync();
        await h1.DisposeAsync();               // idempotent
        Assert.Equal(1, m.OpenWriters(rw.Number));
        await h2.DisposeAsync();
        Assert.Equal(0, m.OpenWriters(rw.Number));

        var hr = (await catalog.OpenAsync("2", default))!;
        Assert.True(hr.ReadOnly);
        Assert.Equal(2L << 20, hr.Device.Size);
        Assert.Equal(0, m.OpenWriters(ro.Number));
        await hr.DisposeAsync();

        m.Release("127.0.0.1:10809", 1);
        Assert.Null(await catalog.OpenAsync("1", default));
    }

    [Fact]
    public async Task Device_calls_hooks_before_changes_and_before_fsync()
    {
        await using var m = Open();
        var v = m.Create(1 << 20);
        var dev = m.GetDevice(v.Number);
        var hook = new RecordingHook(dev);
        using (dev.AddHook(hook))
        {
            await dev.WriteAsync(4096, new byte[] { 1, 2, 3, 4 });
            await dev.TrimAsync(0, 4096);
            await dev.WriteZeroesAsync(8192, 512);
            await dev.FlushAsync();
            await dev.WriteAsync(0, new byte[] { 9 }, WriteFlags.Fua);
        }
        Assert.Equal(
            [
                "change 4096+4 old=0", "release",
                "change 0+4096 old=0", "release",
                "change 8192+512 old=0", "release",
                "flush",
                "change 0+1 old=0", "flush", "release",
            ],
            hook.Events);
        // The hook saw the old bytes, before the write: it could have preserved them.
        await dev.WriteAsync(4096, new byte[] { 5 });
        Assert.Equal(10, hook.Events.Count);   // removed hooks are not called

        hook.Fail = true;
        using (dev.AddHook(hook))
        {
            await Assert.ThrowsAsync<IOException>(() => dev.WriteAsync(4096, new byte[] { 7 }).AsTask());
        }
        byte[] b = new byte[1];
        await dev.ReadAsync(4096, b);
        Assert.Equal(5, b[0]);   // a failing hook stops the change
    }

    private sealed class RecordingHook(IBlockDevice device) : IVolumeWriteHook
    {
        public List<string> Events { get; } = [];
        public bool Fail { get; set; }

        public async ValueTask<IDisposable?> BeforeChangeAsync(long offset, long length, CancellationToken ct)
        {
            if (Fail) throw new IOException("hook failed");
            byte[] old = new byte[1];
            await device.ReadAsync(offset, old, ct);
            Events.Add($"change {offset}+{length} old={old[0]}");
            return new Lease(Events);
        }

        public ValueTask BeforeFlushAsync(CancellationToken ct)
        {
            Events.Add("flush");
            return ValueTask.CompletedTask;
        }

        private sealed class Lease(List<string> events) : IDisposable
        {
            public void Dispose() => events.Add("release");
        }
    }

    public void Dispose() => _dir.Dispose();
}
