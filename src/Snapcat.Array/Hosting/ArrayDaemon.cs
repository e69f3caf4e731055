using System.Net;
using Microsoft.Extensions.Logging;
using Snapcat.Array.Config;
using Snapcat.Array.CopyFunctions;
using Snapcat.Array.DataPorts;
using Snapcat.Array.Volumes;
using Snapcat.Core.Jobs;
using Snapcat.ControlApi.Hosting;
using Snapcat.Nbd.Server;

namespace Snapcat.Array.Hosting;

/// <summary>
/// Runs a disk array: loads the configuration, takes the data directory's lock, opens the volume
/// management table, starts one NBD server per data port and the control API, prints one ready line
/// on stdout, and runs until <c>ct</c> is cancelled or SIGTERM/SIGINT arrives. Logs go to stderr.
/// Exit codes: 0 clean stop, 2 bad configuration, 1 any other failure to start.
/// </summary>
public static class ArrayDaemon
{
    public const string LockFileName = "array.lock";

    public static Task<int> RunAsync(string configPath, CancellationToken ct) =>
        DaemonRunner.RunAsync("array", () => ArrayConfigLoader.Load(configPath), c => $"array {c.DeviceId}", StartAsync, ct, c => c.Logging);

    /// <summary>
    /// Starts the parts in this order, and the lifetime stops them the other way round: it stops taking requests
    /// first (API, then data ports), then the copy functions, then flushes and closes the volumes and the table,
    /// and only then releases the directory lock for a successor.
    /// </summary>
    private static async Task<string> StartAsync(LoadedArrayConfig config, DaemonLifetime lifetime)
    {
        var loggerFactory = lifetime.Logs;
        DurableFile.CreateDirectory(config.DataDirectory);  // 0700 when new
        var dirLock = TakeLock(config.DataDirectory);
        lifetime.OnStop(() => { dirLock.Dispose(); return ValueTask.CompletedTask; });

        // Bound first, so that a port 0 in the configuration has its real port before anything names the
        // port: assignments, the control API's port list and the ready line all use the real address.
        // Bound, not listening: no host connects before the copy functions recovered. A socket the start
        // did not hand to its server is closed with the rest (a server disposes its own).
        var bound = new List<System.Net.Sockets.Socket>();
        lifetime.OnStop(() => { foreach (var b in bound) b.Dispose(); return ValueTask.CompletedTask; });
        foreach (var port in config.DataPorts)
            bound.Add(NbdServer.Bind(new IPEndPoint(ControlApiApp.Resolve(port.Host)[0], port.Port)));
        config = config with
        {
            DataPorts = config.DataPorts.Select((p, i) => p with { Port = ((IPEndPoint)bound[i].LocalEndPoint!).Port }).ToList(),
        };
        var volumes = lifetime.OnStop(VolumeManager.Open(config.DataDirectory, config.DeviceId, config.DataPorts, loggerFactory.CreateLogger<VolumeManager>()));
        // Before the data ports: snapshot engines and mirror pairs recover and hook their volumes
        // before any host write can arrive. Once the ports are closed there are no host writes: pairs
        // save their change bitmaps as trusted, engines close.
        // LUN masking needs identities, which only TLS ports have (VolumeManager refuses a masked LUN elsewhere).
        volumes.TlsPorts = config.DataPorts.Where((_, i) => config.DataPortTls[i].Mode != Snapcat.Nbd.Tls.NbdTlsMode.Off)
            .Select(p => p.ToString()).ToHashSet(StringComparer.Ordinal);
        var copy = lifetime.OnStop(await CopyFunctionService.OpenAsync(volumes, new JobRegistry(), loggerFactory.CreateLogger<CopyFunctionService>()).ConfigureAwait(false));

        // One meter for every data port: connections and bytes for /metrics (ArrayMetrics).
        var nbdMetrics = new NbdMetrics();
        lifetime.OnStop(() => { nbdMetrics.Dispose(); return ValueTask.CompletedTask; });
        for (int i = 0; i < config.DataPorts.Count; i++)
        {
            var limits = config.DataPortLimits[i];
            var tls = config.DataPortTls[i];
            var server = lifetime.OnStop(new NbdServer(bound[i], new ArrayExportCatalog(config.DataPorts[i], volumes, copy.OpenExportDevice), loggerFactory.CreateLogger("snapcat.nbd"))
            {
                HandshakeTimeout = limits.HandshakeTimeout,
                MaxConnectionsPerPeer = limits.MaxConnectionsPerPeer,
                TlsMode = tls.Mode,
                TlsCredentials = tls.Credentials,
                Metrics = nbdMetrics,
            });
            await server.StartAsync(lifetime.Stop).ConfigureAwait(false);
        }

        var api = ControlApiHost.Build(config, volumes, loggerFactory, copy, nbdMetrics);
        await lifetime.StartAsync(api).ConfigureAwait(false);

        string control = ControlApiApp.Addresses(api).FirstOrDefault() ?? $"http://{config.ControlListen}";
        return $"snapcat array {config.DeviceId} ready: control {control}, data ports {string.Join(", ", config.DataPorts)}";
    }

    /// <summary>
    /// One daemon per data directory: two would each believe they own the table and the files. The
    /// lock is a flock (what .NET's FileShare.None takes on Linux), so the kernel drops it when the
    /// process dies, even by kill -9.
    /// </summary>
    private static FileStream TakeLock(string dataDirectory)
    {
        string path = Path.Combine(dataDirectory, LockFileName);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = DurableFile.PrivateFile;
            return new FileStream(path, options);
        }
        catch (IOException ex)
        {
            throw new IOException($"data directory {dataDirectory} is in use by another array daemon (lock {path} is held)", ex);
        }
    }
}
