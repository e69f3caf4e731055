using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Snapcat.Array.Hosting;

/// <summary>
/// What the three daemons (array, agent, backup server) share around their own start-up: logging to
/// stderr only (stdout carries just the ready line that tests and scripts read), and one stop token
/// cancelled by the caller, SIGTERM or SIGINT.
/// </summary>
public sealed class DaemonLifetime : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration _sigterm, _sigint;

    public DaemonLifetime(CancellationToken ct)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; _stop.Cancel(); });
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; _stop.Cancel(); });
        Logs = LoggerFactory.Create(b =>
        {
            b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
            b.AddFilter("Microsoft", LogLevel.Warning);
            b.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        });
    }

    public ILoggerFactory Logs { get; }

    /// <summary>Cancelled when the daemon must stop.</summary>
    public CancellationToken Stop => _stop.Token;

    public void Dispose()
    {
        _sigterm.Dispose();
        _sigint.Dispose();
        Logs.Dispose();
        _stop.Dispose();
    }
}
