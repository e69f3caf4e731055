using Snapcat.Server.Config;
using Snapcat.ControlApi.Hosting;

namespace Snapcat.Server.Hosting;

/// <summary>
/// Runs the backup server: loads server.json, opens (and migrates) the catalog, starts the scheduler and
/// the control API, prints one ready line on stdout, and runs until <c>ct</c> or SIGTERM/SIGINT.
/// Exit codes: 0 clean stop, 2 bad configuration, 1 any other failure to start.
/// </summary>
public static class ServerDaemon
{
    public static Task<int> RunAsync(string configPath, CancellationToken ct) =>
        DaemonRunner.RunAsync("server", () => ServerConfigLoader.Load(configPath), _ => "server", async (config, lifetime) =>
        {
            var host = lifetime.OnStop(await ServerHost.StartAsync(config, lifetime.Logs, lifetime.Stop).ConfigureAwait(false));
            return $"snapcat server ready: control {host.ControlUrl}, catalog {host.Runtime.Catalog.Description}";
        }, ct, c => c.Logging);
}
