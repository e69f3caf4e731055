using System.Diagnostics.Metrics;

namespace Snapcat.Nbd.Server;

/// <summary>
/// What the NBD servers of one process measure, as .NET <see cref="Meter"/> instruments (no exporter here: the
/// array's control API publishes them at <c>/metrics</c>, see docs/metrics.md). One instance per daemon, shared by
/// all its data ports; each instance has its own <see cref="Meter"/>, so two arrays in one test process do not mix.
/// <list type="table">
/// <item><term>snapcat.nbd.connections.open</term><description>up-down counter: TCP connections open now (handshake or transmission)</description></item>
/// <item><term>snapcat.nbd.connections</term><description>counter: connections accepted</description></item>
/// <item><term>snapcat.nbd.bytes_read</term><description>counter: data bytes served by READ</description></item>
/// <item><term>snapcat.nbd.bytes_written</term><description>counter: data bytes stored by WRITE</description></item>
/// </list>
/// </summary>
public sealed class NbdMetrics : IDisposable
{
    public const string MeterName = "Snapcat.Nbd";

    private readonly UpDownCounter<long> _open;
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _read;
    private readonly Counter<long> _written;

    public NbdMetrics()
    {
        Meter = new Meter(MeterName);
        _open = Meter.CreateUpDownCounter<long>("snapcat.nbd.connections.open", "{connection}", "NBD connections open now (handshake or transmission)");
        _accepted = Meter.CreateCounter<long>("snapcat.nbd.connections", "{connection}", "NBD connections accepted since the daemon started");
        _read = Meter.CreateCounter<long>("snapcat.nbd.bytes_read", "By", "Data bytes sent to NBD clients by READ since the daemon started");
        _written = Meter.CreateCounter<long>("snapcat.nbd.bytes_written", "By", "Data bytes received from NBD clients by WRITE since the daemon started");
    }

    public Meter Meter { get; }

    internal void Opened()
    {
        _accepted.Add(1);
        _open.Add(1);
    }

    internal void Closed() => _open.Add(-1);

    internal void Read(long bytes) => _read.Add(bytes);

    internal void Written(long bytes) => _written.Add(bytes);

    public void Dispose() => Meter.Dispose();
}
