using Snapcat.Agent.Logging;

namespace Snapcat.Agent.Tests;

/// <summary>A log sink that keeps lines for assertions.</summary>
public sealed class LogList
{
    private readonly List<string> _lines = [];

    public LogList() => Sink = new LogSink((level, msg) => { lock (_lines) _lines.Add($"{level}: {msg}"); });

    public LogSink Sink { get; }

    public IReadOnlyList<string> Lines { get { lock (_lines) return _lines.ToArray(); } }

    public override string ToString() => string.Join('\n', Lines);
}
