using System.Net;
using System.Security.Cryptography;
using Snapcat.Core.Storage;
using Snapcat.Nbd.Client;
using Snapcat.Nbd.Server;
using Snapcat.TestKit;

namespace Snapcat.Nbd.Tests.Interop;

/// <summary>
/// NBD FLUSH and FUA promise durability (spec §4.10 "Write"/"Flush"): what the server acknowledged
/// after them must survive a power cut. kill -9 of the server cannot show a flush that does not
/// flush (the page cache still writes it out), so the export is a <see cref="PowerLossBlockDevice"/>
/// and the test cuts its power after the acknowledgements.
/// </summary>
public sealed class PowerLossTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private const int Block = 64 * 1024;

    [Fact]
    public async Task Writes_acknowledged_by_flush_or_fua_survive_a_power_cut()
    {
        using var dir = new TempDir("nbd-powerloss");
        await using var medium = FileBlockDevice.Create(dir.Combine("disk.img"), 4 << 20);
        await using var device = new PowerLossBlockDevice(medium);
        await using var server = new NbdServer(new IPEndPoint(IPAddress.Loopback, FreePort.Next()), new OneExport(device));
        await server.StartAsync();

        var flushed = RandomNumberGenerator.GetBytes(Block);
        var fua = RandomNumberGenerator.GetBytes(Block);
        var cachedOnly = RandomNumberGenerator.GetBytes(Block);
        await using (var c = await NbdClient.ConnectAsync(new NbdAddress("127.0.0.1", server.LocalEndPoint.Port), OneExport.Name).WaitAsync(Deadline))
        {
            await c.WriteAsync(0, flushed).AsTask().WaitAsync(Deadline);
            await c.FlushAsync().AsTask().WaitAsync(Deadline);
            await c.WriteAsync(Block, fua, WriteFlags.Fua).AsTask().WaitAsync(Deadline);
            await c.WriteAsync(2 * Block, cachedOnly).AsTask().WaitAsync(Deadline);
            // Before the cut the client reads its own unflushed write back (it is in the cache).
            var before = new byte[Block];
            await c.ReadAsync(2 * Block, before).AsTask().WaitAsync(Deadline);
            Assert.Equal(cachedOnly, before);
        }

        await device.CrashAsync();

        Assert.Equal(flushed, await ReadAsync(medium, 0));
        Assert.Equal(fua, await ReadAsync(medium, Block));
        // The double really drops what was never flushed: the test can tell a flush from none.
        Assert.Equal(new byte[Block], await ReadAsync(medium, 2 * Block));
    }

    private static async Task<byte[]> ReadAsync(IBlockDevice dev, long offset)
    {
        var b = new byte[Block];
        await dev.ReadAsync(offset, b);
        return b;
    }

    private sealed class OneExport(IBlockDevice device) : INbdExportCatalog
    {
        public const string Name = "1";

        public IReadOnlyList<NbdExportListing> List() => [new NbdExportListing(Name, "power-loss export")];

        public ValueTask<NbdExportHandle?> OpenAsync(string name, CancellationToken ct) =>
            ValueTask.FromResult(name == Name ? new NbdExportHandle(Name, "power-loss export", device, readOnly: false) : null);
    }
}
