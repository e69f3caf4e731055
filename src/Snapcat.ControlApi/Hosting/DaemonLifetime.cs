using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Snapcat.Core.Config;

namespace Snapcat.ControlApi.Hosting;

/// <summary>
/// What the three daemons (array, agent, backup server) share around their own start-up: logging to
/// stderr only (stdout carries just the ready line that tests and scripts read), and one stop token
/// cancelled by the caller, SIGTERM or SIGINT; and how to stop, newest first, each part a daemon started
/// (<see cref="DaemonRunner"/> stops them whether the start-up finished or failed half-way).
/// </summary>
public sealed class DaemonLifetime : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration _sigterm, _sigint;
    private readonly Stack<Func<ValueTask>> _started = new();

    public DaemonLifetime(CancellationToken ct) : this(ct, null) { }

    /// <param name="logging">The configuration's <c>logging</c> block (<see cref="DaemonLogging"/>); null: the defaults.</param>
    public DaemonLifetime(CancellationToken ct, LoggingConfig? logging)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; _stop.Cancel(); });
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; _stop.Cancel(); });
        Logs = LoggerFactory.Create(b => DaemonLogging.Configure(b, logging));
    }

    public ILoggerFactory Logs { get; }

    /// <summary>Cancelled when the daemon must stop.</summary>
    public CancellationToken Stop => _stop.Token;

    /// <summary>Registers how to stop a part that has started (or is about to): parts stop newest first.</summary>
    public void OnStop(Func<ValueTask> stop) => _started.Push(stop);

    /// <summary>Registers <paramref name="part"/> to be disposed when the daemon stops, and returns it.</summary>
    public T OnStop<T>(T part) where T : IAsyncDisposable
    {
        _started.Push(part.DisposeAsync);
        return part;
    }

    /// <summary>
    /// Starts a control API, registered to stop before every part registered earlier (what it serves): it
    /// stops taking requests first, with 5 s for those in flight.
    /// </summary>
    public async Task StartAsync(WebApplication api)
    {
        OnStop(async () =>
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await api.StopAsync(grace.Token).ConfigureAwait(false);
            await api.DisposeAsync().ConfigureAwait(false);
        });
        await api.StartAsync(Stop).ConfigureAwait(false);
    }

    /// <summary>Stops every registered part, newest first.</summary>
    public async Task StopStartedAsync()
    {
        while (_started.TryPop(out var stop)) await stop().ConfigureAwait(false);
    }

    public void Dispose()
    {
        _sigterm.Dispose();
        _sigint.Dispose();
        Logs.Dispose();
        _stop.Dispose();
    }
}
