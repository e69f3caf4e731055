using Snapcat.Array.Hosting;
using Microsoft.Extensions.Logging;
using Snapcat.Core.Errors;
using Snapcat.Server.Config;

namespace Snapcat.Server.Hosting;

/// <summary>
/// Runs the backup server: loads server.json, opens (and migrates) the catalog, starts the scheduler and
/// the control API, prints one ready line on stdout, and runs until <c>ct</c> or SIGTERM/SIGINT.
/// Exit codes: 0 clean stop, 2 bad configuration, 1 any other failure to start.
/// </summary>
public static class ServerDaemon
{
    public static async Task<int> RunAsync(string configPath, CancellationToken ct)
    {
        LoadedServerConfig config;
        try
        {
            config = ServerConfigLoader.Load(configPath);
        }
        catch (SnapcatException ex) when (ex.Kind == ErrorKind.Invalid)
        {
            await Console.Error.WriteLineAsync($"snapcat server: {ex.Message}");
            return 2;
        }

        // Logs to stderr only (stdout carries just the ready line); SIGTERM/SIGINT cancel lifetime.Stop.
        using var lifetime = new DaemonLifetime(ct);
        var loggerFactory = lifetime.Logs;

        ServerHost? host = null;
        try
        {
            host = await ServerHost.StartAsync(config, loggerFactory, lifetime.Stop);
            Console.Out.WriteLine($"snapcat server ready: control {host.ControlUrl}, catalog {host.Runtime.Catalog.Description}");
            Console.Out.Flush();
            try { await Task.Delay(Timeout.Infinite, lifetime.Stop); }
            catch (OperationCanceledException) { }
            return 0;
        }
        catch (Exception ex) when (ex is SnapcatException or IOException or System.Net.Sockets.SocketException or InvalidOperationException
            or UnauthorizedAccessException or System.Data.Common.DbException)
        {
            await Console.Error.WriteLineAsync($"snapcat server: cannot run: {ex.Message}");
            return 1;
        }
        finally
        {
            if (host is not null) await host.DisposeAsync();
        }
    }
}
