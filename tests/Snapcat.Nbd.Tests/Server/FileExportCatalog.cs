using System.Net;
using Snapcat.Core.Storage;
using Snapcat.Nbd.Server;
using Snapcat.TestKit;

namespace Snapcat.Nbd.Tests.Server;

/// <summary>
/// Test catalog: exports "1" and "2" over sparse files in a temp dir, described as an array would
/// describe them, plus an optional read-only export "ro". Hosts a real NbdServer on 127.0.0.1.
/// </summary>
internal sealed class FileExportHost : IAsyncDisposable, INbdExportCatalog
{
    public const string DeviceId = "TEST-ARRAY";
    private readonly Dictionary<string, (FileBlockDevice Device, string Description, bool ReadOnly)> _exports = new();

    private FileExportHost(TempDir dir) => Dir = dir;

    public TempDir Dir { get; }
    public NbdServer Server { get; private set; } = null!;
    public int Port => Server.LocalEndPoint.Port;
    public string Uri(string export) => $"nbd://127.0.0.1:{Port}/{export}";

    public FileBlockDevice Device(string name) => _exports[name].Device;
    public string DescriptionOf(string name) => _exports[name].Description;

    /// <param name="limits">Sets the server's connection limits (handshake deadline, per-peer count), or null for the defaults.</param>
    public static async Task<FileExportHost> StartAsync(long size1, long size2 = 4 << 20, bool withReadOnly = false,
        Func<IPEndPoint, INbdExportCatalog, NbdServer>? limits = null)
    {
        var host = new FileExportHost(new TempDir("nbd-server"));
        host.Add("1", size1, 1, readOnly: false);
        host.Add("2", size2, 2, readOnly: false);
        if (withReadOnly) host.Add("ro", 1 << 20, 9, readOnly: true);
        // FreePort, not port 0: a port the kernel picks here could be one FreePort just handed to an nbdkit
        // fixture, which would then greet a test with this server's NBDMAGIC and die on "address in use".
        var endpoint = new IPEndPoint(IPAddress.Loopback, FreePort.Next());
        host.Server = limits?.Invoke(endpoint, host) ?? new NbdServer(endpoint, host);
        await host.Server.StartAsync();
        return host;
    }

    private void Add(string name, long size, uint volume, bool readOnly)
    {
        var dev = FileBlockDevice.Create(Dir.Combine($"vol{name}.img"), size);
        _exports[name] = (dev, new InquiryDescription(DeviceId, volume).ToString(), readOnly);
    }

    public IReadOnlyList<NbdExportListing> List() =>
        _exports.Where(e => e.Key != "ro").Select(e => new NbdExportListing(e.Key, e.Value.Description)).ToList();

    public ValueTask<NbdExportHandle?> OpenAsync(string name, CancellationToken ct) =>
        ValueTask.FromResult(_exports.TryGetValue(name, out var e)
            ? new NbdExportHandle(name, e.Description, e.Device, e.ReadOnly)
            : null);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        foreach (var e in _exports.Values) await e.Device.DisposeAsync();
        Dir.Dispose();
    }
}
