using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Snapcat.Core.Config;
using Snapcat.Core.Errors;

namespace Snapcat.ControlApi.Hosting;

/// <summary>
/// The start-up and shutdown the three daemons (array, agent, backup server) share. The configuration is
/// loaded before anything starts; the daemon's own start gets a <see cref="DaemonLifetime"/> (logs on stderr,
/// the stop token, the parts to stop) and returns its ready line, the one line on stdout that tests and
/// scripts wait for. Then it runs until the caller, SIGTERM or SIGINT stops it, and the parts stop newest first.
/// Exit codes: 0 clean stop, 2 bad configuration (the loader's message, or a <c>config.*</c> error while starting,
/// e.g. a certificate file that does not load), 1 any other failure to start. The systemd units do not restart on 2
/// (<c>RestartPreventExitStatus=2</c>): the file needs a person first.
/// Under systemd (<c>Type=notify</c>) the ready line is also <c>READY=1</c> on <c>$NOTIFY_SOCKET</c>, and a stop
/// <c>STOPPING=1</c>, through Microsoft.Extensions.Hosting.Systemd's notifier. Not its <c>UseSystemd()</c> lifetime:
/// that would stop the web host on SIGTERM by itself and say ready when Kestrel listens, before the daemon's other
/// parts (NBD ports, scheduler) run; here the daemon says ready once all of them do, and stops in its own order.
/// </summary>
public static partial class DaemonRunner
{
    /// <param name="daemon">"array", "agent", "server": the logger category and the prefix of a configuration error.</param>
    /// <param name="load">Loads and validates the configuration; a <see cref="ErrorKind.Invalid"/> error is a bad configuration.</param>
    /// <param name="name">The daemon in its messages, e.g. "array ARRAY-01".</param>
    /// <param name="start">Starts the daemon's parts, registering each with the lifetime, and returns the ready line.</param>
    /// <param name="logging">The configuration's <c>logging</c> block (format, level); null: the defaults.</param>
    public static async Task<int> RunAsync<TConfig>(string daemon, Func<TConfig> load, Func<TConfig, string> name,
        Func<TConfig, DaemonLifetime, Task<string>> start, CancellationToken ct, Func<TConfig, LoggingConfig?>? logging = null)
    {
        TConfig config;
        try
        {
            config = load();
        }
        catch (SnapcatException ex) when (ex.Kind == ErrorKind.Invalid)
        {
            await Console.Error.WriteLineAsync($"snapcat {daemon}: {ex.Message}").ConfigureAwait(false);
            return 2;
        }

        string who = name(config);
        // Read once; the hooks and tools the daemon starts do not inherit the socket (as sd_notify's unset_environment).
        var systemd = new SystemdNotifier();
        if (systemd.IsEnabled) Environment.SetEnvironmentVariable("NOTIFY_SOCKET", null);
        using var lifetime = new DaemonLifetime(ct, logging?.Invoke(config));
        var log = lifetime.Logs.CreateLogger("snapcat." + daemon);
        try
        {
            string ready = await start(config, lifetime).ConfigureAwait(false);
            Console.Out.WriteLine(ready);
            Console.Out.Flush();
            if (systemd.IsEnabled)
            {
                systemd.Notify(new ServiceState("STATUS=" + ready.Replace('\n', ' ')));
                systemd.Notify(ServiceState.Ready);
            }

            try { await Task.Delay(Timeout.Infinite, lifetime.Stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            LogStopping(log, who);
            if (systemd.IsEnabled) systemd.Notify(ServiceState.Stopping);
            return 0;
        }
        catch (OperationCanceledException) when (lifetime.Stop.IsCancellationRequested)
        {
            // Stopped while still starting: a clean stop too.
            return 0;
        }
        catch (SnapcatException ex) when (ex.Kind == ErrorKind.Invalid && ex.Code.StartsWith("config.", StringComparison.Ordinal))
        {
            await Console.Error.WriteLineAsync($"snapcat {who}: {ex.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (Exception ex) when (ex is SnapcatException or IOException or SocketException or InvalidOperationException
            or UnauthorizedAccessException or DbException)
        {
            await Console.Error.WriteLineAsync($"snapcat {who}: cannot run: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        finally
        {
            await lifetime.StopStartedAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Daemon} stopping")]
    private static partial void LogStopping(ILogger logger, string daemon);
}
