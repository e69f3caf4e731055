using System.Net;
using Microsoft.Extensions.Logging;
using Snapcat.Array.Config;
using Snapcat.Array.CopyFunctions;
using Snapcat.Array.DataPorts;
using Snapcat.Array.Volumes;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Core.Storage;
using Snapcat.Nbd.Server;

namespace Snapcat.Array.Hosting;

/// <summary>
/// Runs a disk array: loads the configuration, takes the data directory's lock, opens the volume
/// management table, starts one NBD server per data port and the control API, prints one ready line
/// on stdout, and runs until <c>ct</c> is cancelled or SIGTERM/SIGINT arrives. Logs go to stderr.
/// Exit codes: 0 clean stop, 2 bad configuration, 1 any other failure to start.
/// </summary>
public static partial class ArrayDaemon
{
    public const string LockFileName = "array.lock";

    public static async Task<int> RunAsync(string configPath, CancellationToken ct)
    {
        LoadedArrayConfig config;
        try
        {
            config = ArrayConfigLoader.Load(configPath);
        }
        catch (SnapcatException ex) when (ex.Kind == ErrorKind.Invalid)
        {
            await Console.Error.WriteLineAsync($"snapcat array: {ex.Message}");
            return 2;
        }

        // Logs to stderr only (stdout carries just the ready line); SIGTERM/SIGINT cancel lifetime.Stop.
        using var lifetime = new DaemonLifetime(ct);
        var loggerFactory = lifetime.Logs;
        var log = loggerFactory.CreateLogger("snapcat.array");

        FileStream? dirLock = null;
        VolumeManager? volumes = null;
        CopyFunctionService? copy = null;
        var servers = new List<NbdServer>();
        Microsoft.AspNetCore.Builder.WebApplication? api = null;
        try
        {
            DurableFile.CreateDirectory(config.DataDirectory);  // 0700 when new
            dirLock = TakeLock(config.DataDirectory);
            volumes = VolumeManager.Open(config.DataDirectory, config.DeviceId, config.DataPorts, loggerFactory.CreateLogger<VolumeManager>());
            // Before the data ports: snapshot engines and mirror pairs recover and hook their volumes
            // before any host write can arrive.
            copy = await CopyFunctionService.OpenAsync(volumes, new JobRegistry(), loggerFactory.CreateLogger<CopyFunctionService>());

            for (int i = 0; i < config.DataPorts.Count; i++)
            {
                var port = config.DataPorts[i];
                var limits = config.DataPortLimits[i];
                var endpoint = new IPEndPoint(ControlApiHost.Resolve(port.Host)[0], port.Port);
                var server = new NbdServer(endpoint, new ArrayExportCatalog(port, volumes, copy.OpenExportDevice), loggerFactory.CreateLogger("snapcat.nbd"))
                {
                    HandshakeTimeout = limits.HandshakeTimeout,
                    MaxConnectionsPerPeer = limits.MaxConnectionsPerPeer,
                };
                servers.Add(server);
                await server.StartAsync(lifetime.Stop);
            }

            api = ControlApiHost.Build(config, volumes, new LoggerProviderAdapter(loggerFactory), copy);
            await api.StartAsync(lifetime.Stop);

            string control = ControlApiHost.Addresses(api).FirstOrDefault() ?? $"http://{config.ControlListen}";
            Console.Out.WriteLine($"snapcat array {config.DeviceId} ready: control {control}, data ports {string.Join(", ", config.DataPorts)}");
            Console.Out.Flush();

            try { await Task.Delay(Timeout.Infinite, lifetime.Stop); }
            catch (OperationCanceledException) { }
            LogStopping(log, config.DeviceId);
            return 0;
        }
        catch (Exception ex) when (ex is SnapcatException or IOException or System.Net.Sockets.SocketException or InvalidOperationException
            or UnauthorizedAccessException or System.Data.Common.DbException)
        {
            await Console.Error.WriteLineAsync($"snapcat array {config.DeviceId}: cannot run: {ex.Message}");
            return 1;
        }
        finally
        {
            // Stop taking requests first (API, then data ports), then the copy functions, then flush and close the volumes and
            // the table, and only then release the directory lock for a successor.
            if (api is not null)
            {
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await api.StopAsync(grace.Token);
                await api.DisposeAsync();
            }
            foreach (var s in servers) await s.DisposeAsync();
            // No host writes from here on: pairs save their change bitmaps as trusted, engines close.
            if (copy is not null) await copy.DisposeAsync();
            if (volumes is not null) await volumes.DisposeAsync();
            dirLock?.Dispose();
        }
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

    [LoggerMessage(Level = LogLevel.Information, Message = "array {DeviceId} stopping")]
    private static partial void LogStopping(ILogger logger, string deviceId);

    /// <summary>Hands the daemon's logger factory to the web host so both log the same way.</summary>
    private sealed class LoggerProviderAdapter(ILoggerFactory factory) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);
        public void Dispose() { }
    }
}
