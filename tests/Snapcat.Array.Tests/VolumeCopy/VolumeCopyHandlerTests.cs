using System.Net;
using System.Security.Cryptography;
using Snapcat.Array.Config;
using Snapcat.Array.Tests.Daemon;
using Snapcat.Array.VolumeCopy;
using Snapcat.Array.Volumes;
using Snapcat.Core.Errors;
using Snapcat.Core.Storage;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.VolumeCopy;

/// <summary>
/// FIG. 19 through <see cref="VolumeCopyHandler"/>: within one array (real volume manager and volume
/// files), and to a real second array daemon over NBD + its control API.
/// </summary>
public sealed class VolumeCopyHandlerTests(VolumeCopyHandlerTests.PeerArray peer) : IClassFixture<VolumeCopyHandlerTests.PeerArray>
{
    private const long Size = 24L << 20;
    private static readonly NbdClientOptions Nbd = new() { ConnectTimeout = TimeSpan.FromSeconds(10) };

    /// <summary>One destination array process for the whole class; every test uses its own LUN and volume.</summary>
    public sealed class PeerArray : IAsyncLifetime
    {
        public const string DeviceId = "ARRAY-DEST";
        private readonly SnapcatSystem _system = new("volume-copy-peer");
        public ArrayNode Array { get; private set; } = null!;
        public IReadOnlyDictionary<string, PeerArrayConfig> Peers { get; private set; } = null!;
        private int _nextLun;

        public async Task InitializeAsync()
        {
            Array = await _system.StartArrayAsync(DeviceId, dataPortCount: 1);
            Peers = new Dictionary<string, PeerArrayConfig>
            {
                [DeviceId] = new() { Url = Array.ControlUrl.ToString(), Token = Array.Token, Fingerprint = Array.Fingerprint },
            };
        }

        /// <summary>A fresh volume of the array, assigned to a LUN of its only data port.</summary>
        public async Task<(uint Volume, uint Lun)> NewLunAsync(string size = "24M")
        {
            var v = await Array.Client.CreateVolumeAsync(size);
            uint lun = (uint)Interlocked.Increment(ref _nextLun);
            var r = await Array.AssignAsync(v.Number, Array.DataPorts[0], lun);
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            return (v.Number, lun);
        }

        public async Task<byte[]?> InfoAsync(uint volume)
        {
            var r = await Array.Http.GetAsync($"/v1/volumes/{volume}/info");
            if (r.StatusCode == HttpStatusCode.NotFound) return null;
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return await r.Content.ReadAsByteArrayAsync();
        }

        public async Task<byte[]> HashOverNbdAsync(uint lun)
        {
            await using var c = await NbdClient.ConnectAsync(NbdAddress.Parse(Array.DataPorts[0]), lun.ToString(), Nbd);
            return await HashAsync(c);
        }

        public async Task DisposeAsync() => await _system.DisposeAsync();
    }

    // ---- same array (steps 3643, 3647) ----

    [Fact]
    public async Task Within_one_array_the_data_is_copied_holes_stay_holes_and_the_info_row_follows()
    {
        using var dir = new TempDir("vcopy");
        await using var volumes = VolumeManager.Open(dir.Path, "ARRAY-L", []);
        var src = volumes.Create(Size);
        var dst = volumes.Create(Size);
        var srcDev = volumes.GetDevice(src.Number);
        var dstDev = volumes.GetDevice(dst.Number);
        long written = await FillAsync(srcDev, seed: 1);
        // Old content where the source has a hole, and old information: both must go.
        await dstDev.WriteAsync(Size - (1 << 20), Random(1 << 20, 9));
        volumes.PutVolumeInfo(dst.Number, Random(512, 8));
        byte[] info = Random(512, 7);
        volumes.PutVolumeInfo(src.Number, info);

        var handler = new VolumeCopyHandler(new PeerArrays(new Dictionary<string, PeerArrayConfig>()));
        var progress = new List<(long, long)>();
        var result = await handler.CopyWithinArrayAsync("ARRAY-L", new VolumeCopySource(src.Number, srcDev, volumes.GetVolumeInfo(src.Number)),
            new LocalCopyDestination(dst.Number, dstDev, new TableOf(volumes)),
            new VolumeCopyObserver((d, t) => { lock (progress) progress.Add((d, t)); }));

        Assert.Equal(await HashAsync(srcDev), await HashAsync(dstDev));
        Assert.Equal(info, volumes.GetVolumeInfo(dst.Number));
        Assert.True(result.VolumeInfoCopied);
        Assert.Equal(written, result.BytesCopied);                 // only the data extents went through as data
        Assert.Equal(Size - written, result.BytesZeroed);
        Assert.True(dstDev.AllocatedBytes <= written + (1 << 20), $"destination allocates {dstDev.AllocatedBytes} bytes for {written} bytes of data");
        Assert.Contains((Size, Size), progress);
    }

    [Fact]
    public async Task Within_one_array_a_size_mismatch_is_refused_and_touches_nothing()
    {
        using var dir = new TempDir("vcopy");
        await using var volumes = VolumeManager.Open(dir.Path, "ARRAY-L", []);
        var src = volumes.Create(Size);
        var dst = volumes.Create(Size * 2);
        byte[] old = Random(512, 3);
        volumes.PutVolumeInfo(dst.Number, old);
        var handler = new VolumeCopyHandler(new PeerArrays(new Dictionary<string, PeerArrayConfig>()));
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => handler.CopyWithinArrayAsync("ARRAY-L",
            new VolumeCopySource(src.Number, volumes.GetDevice(src.Number), Random(512, 4)),
            new LocalCopyDestination(dst.Number, volumes.GetDevice(dst.Number), new TableOf(volumes))));
        Assert.Equal(("volume_copy.size_mismatch", ErrorKind.Invalid), (ex.Code, ex.Kind));
        Assert.Contains($"{Size} bytes", ex.Message);
        Assert.Equal(old, volumes.GetVolumeInfo(dst.Number));
    }

    [Fact]
    public async Task Within_one_array_a_failing_read_leaves_no_volume_information()
    {
        using var dir = new TempDir("vcopy");
        await using var volumes = VolumeManager.Open(dir.Path, "ARRAY-L", []);
        var src = volumes.Create(Size);
        var dst = volumes.Create(Size);
        await FillAsync(volumes.GetDevice(src.Number), seed: 2);
        volumes.PutVolumeInfo(dst.Number, Random(512, 5));
        var handler = new VolumeCopyHandler(new PeerArrays(new Dictionary<string, PeerArrayConfig>()));
        var failing = new FailingReads(volumes.GetDevice(src.Number), failAfterBytes: 4 << 20);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => handler.CopyWithinArrayAsync("ARRAY-L",
            new VolumeCopySource(src.Number, failing, Random(512, 6)),
            new LocalCopyDestination(dst.Number, volumes.GetDevice(dst.Number), new TableOf(volumes))));
        Assert.Equal(VolumeCopyHandler.FailedCode, ex.Code);
        Assert.Contains("NO volume information", ex.Message);
        Assert.Contains("injected read failure", ex.Message);
        Assert.Null(volumes.GetVolumeInfo(dst.Number));
    }

    // ---- other array (steps 3642, 3646) ----

    [Fact]
    public async Task To_another_array_the_data_goes_over_nbd_and_the_info_through_its_control_api()
    {
        using var dir = new TempDir("vcopy");
        var (volume, lun) = await peer.NewLunAsync();
        // Stale data where the source has holes, and stale information: both replaced.
        await using (var c = await NbdClient.ConnectAsync(NbdAddress.Parse(peer.Array.DataPorts[0]), lun.ToString(), Nbd))
        {
            await c.WriteAsync(Size - (2 << 20), Random(2 << 20, 11));
            await c.FlushAsync();
        }
        Assert.Equal(HttpStatusCode.NoContent, (await peer.Array.PutInfoAsync(volume, Random(512, 12))).StatusCode);

        await using var source = FileBlockDevice.Create(dir.Combine("src.vol"), Size);
        long written = await FillAsync(source, seed: 3);
        byte[] info = Random(512, 13);
        var handler = new VolumeCopyHandler(new PeerArrays(peer.Peers), Nbd);
        var log = new List<string>();
        var result = await handler.CopyToPeerAsync(new VolumeCopySource(1, source, info),
            new PeerCopyDestination(PeerArray.DeviceId, peer.Array.DataPorts[0], lun), new VolumeCopyObserver(Log: log.Add));

        Assert.Equal(await HashAsync(source), await peer.HashOverNbdAsync(lun));
        Assert.Equal(info, await peer.InfoAsync(volume));
        Assert.Equal((PeerArray.DeviceId, volume, written, true), (result.DestinationDeviceId, result.DestinationVolume, result.BytesCopied, result.VolumeInfoCopied));
        Assert.Contains(log, l => l.Contains("volume information recorded there"));
    }

    [Fact]
    public async Task A_copy_into_a_missing_lun_fails_cleanly_and_writes_no_information()
    {
        using var dir = new TempDir("vcopy");
        await using var source = FileBlockDevice.Create(dir.Combine("src.vol"), Size);
        await FillAsync(source, seed: 4);
        var before = await peer.Array.GetAsync<Snapcat.Contracts.Array.VolumeInfoListing>("/v1/volume-infos");
        var handler = new VolumeCopyHandler(new PeerArrays(peer.Peers), Nbd);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => handler.CopyToPeerAsync(new VolumeCopySource(1, source, Random(512, 14)),
            new PeerCopyDestination(PeerArray.DeviceId, peer.Array.DataPorts[0], 999)));
        Assert.Equal(("volume_copy.destination_missing", ErrorKind.NotFound), (ex.Code, ex.Kind));
        Assert.Contains("LUN 999", ex.Message);
        Assert.Contains("no volume information was written", ex.Message);
        var after = await peer.Array.GetAsync<Snapcat.Contracts.Array.VolumeInfoListing>("/v1/volume-infos");
        Assert.Equal(before.Volumes.Select(v => v.VolumeInfo), after.Volumes.Where(v => before.Volumes.Any(b => b.Number == v.Number)).Select(v => v.VolumeInfo));
    }

    [Fact]
    public async Task A_failure_half_way_over_nbd_leaves_the_destination_without_information()
    {
        using var dir = new TempDir("vcopy");
        var (volume, lun) = await peer.NewLunAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await peer.Array.PutInfoAsync(volume, Random(512, 15))).StatusCode);
        await using var source = FileBlockDevice.Create(dir.Combine("src.vol"), Size);
        await FillAsync(source, seed: 5);
        var handler = new VolumeCopyHandler(new PeerArrays(peer.Peers), Nbd);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => handler.CopyToPeerAsync(
            new VolumeCopySource(1, new FailingReads(source, failAfterBytes: 4 << 20), Random(512, 16)),
            new PeerCopyDestination(PeerArray.DeviceId, peer.Array.DataPorts[0], lun)));
        Assert.Equal(VolumeCopyHandler.FailedCode, ex.Code);
        Assert.Contains($"volume {volume}", ex.Message);
        Assert.Contains("NO volume information", ex.Message);
        Assert.Null(await peer.InfoAsync(volume));
    }

    [Fact]
    public async Task To_another_array_a_size_mismatch_is_refused_before_anything_is_written()
    {
        using var dir = new TempDir("vcopy");
        var (volume, lun) = await peer.NewLunAsync("8M");
        byte[] old = Random(512, 17);
        await peer.Array.PutInfoAsync(volume, old);
        byte[] hash = await peer.HashOverNbdAsync(lun);
        await using var source = FileBlockDevice.Create(dir.Combine("src.vol"), Size);
        await FillAsync(source, seed: 6);
        var handler = new VolumeCopyHandler(new PeerArrays(peer.Peers), Nbd);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => handler.CopyToPeerAsync(new VolumeCopySource(1, source, Random(512, 18)),
            new PeerCopyDestination(PeerArray.DeviceId, peer.Array.DataPorts[0], lun)));
        Assert.Equal("volume_copy.size_mismatch", ex.Code);
        Assert.Equal(old, await peer.InfoAsync(volume));
        Assert.Equal(hash, await peer.HashOverNbdAsync(lun));
    }

    [Fact]
    public async Task An_unknown_peer_or_a_peer_with_another_device_id_is_refused()
    {
        using var dir = new TempDir("vcopy");
        await using var source = FileBlockDevice.Create(dir.Combine("src.vol"), Size);
        var (_, lun) = await peer.NewLunAsync();
        var handler = new VolumeCopyHandler(new PeerArrays(peer.Peers), Nbd);
        var unknown = await Assert.ThrowsAsync<SnapcatException>(() => handler.CopyToPeerAsync(new VolumeCopySource(1, source, null),
            new PeerCopyDestination("ARRAY-NOWHERE", peer.Array.DataPorts[0], lun)));
        Assert.Equal(("volume_copy.unknown_peer", ErrorKind.Invalid), (unknown.Code, unknown.Kind));
        Assert.Contains(PeerArray.DeviceId, unknown.Message);   // the known peers are listed

        // The configuration says ARRAY-OTHER lives at this URL, but the array there is ARRAY-DEST.
        var misnamed = new VolumeCopyHandler(new PeerArrays(new Dictionary<string, PeerArrayConfig> { ["ARRAY-OTHER"] = peer.Peers[PeerArray.DeviceId] }), Nbd);
        var wrong = await Assert.ThrowsAsync<SnapcatException>(() => misnamed.CopyToPeerAsync(new VolumeCopySource(1, source, null),
            new PeerCopyDestination("ARRAY-OTHER", peer.Array.DataPorts[0], lun)));
        Assert.Equal("volume_copy.wrong_array", wrong.Code);
        Assert.Contains(PeerArray.DeviceId, wrong.Message);
    }

    [Fact]
    public async Task A_peer_configured_for_tls_is_never_written_over_plain_nbd()
    {
        using var dir = new TempDir("vcopy");
        var (volume, lun) = await peer.NewLunAsync();
        byte[] old = Random(512, 19);
        await peer.Array.PutInfoAsync(volume, old);
        byte[] hash = await peer.HashOverNbdAsync(lun);
        await using var source = FileBlockDevice.Create(dir.Combine("src.vol"), Size);
        await FillAsync(source, seed: 7);

        // The peer's nbdTls names credentials; its data port (this test's peer) offers no TLS.
        string keys = NbdTlsMaterial.WritePskFile(dir.Combine("peer.psk"), "ARRAY-SRC");
        var tls = NbdClientTls.Psk("ARRAY-SRC", Snapcat.Nbd.Tls.PskKeyFile.ReadKey(keys, "ARRAY-SRC")) with { PskFile = keys };
        var peers = peer.Peers.ToDictionary(kv => kv.Key, kv => kv.Value with { NbdTlsCredentials = tls });
        var handler = new VolumeCopyHandler(new PeerArrays(peers), Nbd);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => handler.CopyToPeerAsync(new VolumeCopySource(1, source, Random(512, 20)),
            new PeerCopyDestination(PeerArray.DeviceId, peer.Array.DataPorts[0], lun)));
        Assert.Equal("volume_copy.destination_unreachable", ex.Code);
        Assert.Contains("does not offer TLS", ex.Message);
        Assert.Contains("nothing was copied", ex.Message);
        Assert.Equal(old, await peer.InfoAsync(volume));
        Assert.Equal(hash, await peer.HashOverNbdAsync(lun));
    }

    // ---- helpers ----

    /// <summary>Writes random data into a few separate regions (the rest stays a hole); returns the bytes written.</summary>
    internal static async Task<long> FillAsync(IBlockDevice device, int seed)
    {
        long total = 0;
        foreach (var (off, len) in new[] { (0L, 1 << 20), (3L << 20, 5 << 20), (12L << 20, 64 << 10), (20L << 20, 1 << 20) })
        {
            await device.WriteAsync(off, Random(len, seed + (int)(off >> 20)));
            total += len;
        }
        await device.FlushAsync();
        return total;
    }

    internal static async Task<byte[]> HashAsync(IBlockDevice device)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long off = 0; off < device.Size; off += buffer.Length)
        {
            int n = (int)Math.Min(buffer.Length, device.Size - off);
            await device.ReadAsync(off, buffer.AsMemory(0, n));
            sha.AppendData(buffer, 0, n);
        }
        return sha.GetHashAndReset();
    }

    internal static byte[] Random(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    private sealed class TableOf(VolumeManager volumes) : IVolumeInfoTable
    {
        public void PutVolumeInfo(uint number, ReadOnlySpan<byte> info) => volumes.PutVolumeInfo(number, info);
        public void DeleteVolumeInfo(uint number) => volumes.DeleteVolumeInfo(number);
    }

    /// <summary>Fault injection: reads work until <paramref name="failAfterBytes"/> have been read, then fail like a dying disk.</summary>
    private sealed class FailingReads(IBlockDevice inner, long failAfterBytes) : IBlockDevice
    {
        private long _read;
        public long Size => inner.Size;
        public bool IsReadOnly => inner.IsReadOnly;

        public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default)
        {
            if (Interlocked.Add(ref _read, buffer.Length) > failAfterBytes) throw new IOException("injected read failure");
            return inner.ReadAsync(offset, buffer, ct);
        }

        public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) => inner.WriteAsync(offset, data, flags, ct);
        public ValueTask FlushAsync(CancellationToken ct = default) => inner.FlushAsync(ct);
        public ValueTask TrimAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) => inner.TrimAsync(offset, length, flags, ct);
        public ValueTask WriteZeroesAsync(long offset, long length, WriteFlags flags = WriteFlags.None, CancellationToken ct = default) => inner.WriteZeroesAsync(offset, length, flags, ct);
        public ValueTask<IReadOnlyList<BlockExtent>> GetExtentsAsync(long offset, long length, CancellationToken ct = default) => inner.GetExtentsAsync(offset, length, ct);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
