using System.Diagnostics.Metrics;
using Prometheus;

namespace Snapcat.ControlApi.Metrics;

/// <summary>
/// Publishes the instruments of one .NET <see cref="Meter"/> in a daemon's Prometheus registry, as true Prometheus
/// counters and gauges. prometheus-net's own MeterAdapter (on by default, for its static default registry only) would
/// publish every meter of the process, each counter as a gauge, and drop a series after five idle minutes; a daemon's
/// own registry with this bridge shows its meter alone, with counter semantics. A <c>Counter&lt;long&gt;</c> named
/// <c>a.b.c</c> becomes the counter <c>a_b_c_total</c>, an <c>UpDownCounter&lt;long&gt;</c> the gauge <c>a_b_c</c>; the
/// instrument's description is the HELP text. Tags are not exported (Snapcat's instruments have none).
/// </summary>
public sealed class MeterExport : IDisposable
{
    private readonly MeterListener _listener = new();

    public MeterExport(Meter meter, CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(meter);
        var factory = Prometheus.Metrics.WithCustomRegistry(registry);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!ReferenceEquals(instrument.Meter, meter)) return;
            string name = instrument.Name.Replace('.', '_').Replace('-', '_');
            string help = string.IsNullOrEmpty(instrument.Description) ? instrument.Name : instrument.Description;
            object? target = instrument switch
            {
                Counter<long> => factory.CreateCounter(name + "_total", help),
                UpDownCounter<long> => factory.CreateGauge(name, help),
                _ => null,
            };
            if (target is not null) listener.EnableMeasurementEvents(instrument, target);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, state) =>
        {
            switch (state)
            {
                case Counter c: c.Inc(value); break;
                case Gauge g: g.Inc(value); break;
            }
        });
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();
}
