using System.Globalization;
using System.Text;

namespace Snapcat.Agent.Hooks;

/// <summary>
/// Keeps one hook run's output in the job log bounded (the job log travels with every poll of the job and into the
/// server's job history): the first <see cref="HookJobLines.HeadBytes"/> stream in as they come; after that the lines
/// are held in a ring of the last <see cref="HookJobLines.TailBytes"/>, written by <see cref="Flush"/> when the hook has
/// ended, after one line saying how much was left out. A line longer than <see cref="MaxLineChars"/> is cut.
/// Thread-safe: stdout and stderr report from two threads.
/// </summary>
public sealed class HookOutputLimit(Action<string, string> write)
{
    public const int MaxLineChars = 4096;

    private readonly Lock _gate = new();
    private readonly Queue<(string Stream, string Line, int Bytes)> _tail = new();
    private long _headBytes, _tailBytes, _droppedLines, _droppedBytes;
    private bool _headFull;

    /// <summary>One line of <paramref name="stream"/> ("stdout" or "stderr").</summary>
    public void Add(string stream, string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (line.Length > MaxLineChars)
            line = string.Concat(line.AsSpan(0, MaxLineChars), $" … ({(line.Length - MaxLineChars).ToString(CultureInfo.InvariantCulture)} more characters cut)");
        int bytes = Encoding.UTF8.GetByteCount(line) + 1;
        lock (_gate)
        {
            if (!_headFull && _headBytes + bytes <= HookJobLines.HeadBytes)
            {
                _headBytes += bytes;
                write(stream, line);
                return;
            }
            _headFull = true;
            _tail.Enqueue((stream, line, bytes));
            _tailBytes += bytes;
            while (_tailBytes > HookJobLines.TailBytes && _tail.Count > 0)
            {
                var gone = _tail.Dequeue();
                _tailBytes -= gone.Bytes;
                _droppedLines++;
                _droppedBytes += gone.Bytes;
            }
        }
    }

    /// <summary>The held tail, after a note (through <paramref name="note"/>) when lines were left out. Call once the hook has ended.</summary>
    public void Flush(Action<string> note)
    {
        ArgumentNullException.ThrowIfNull(note);
        lock (_gate)
        {
            if (_droppedLines > 0)
                note($"{_droppedLines.ToString(CultureInfo.InvariantCulture)} line(s) ({_droppedBytes.ToString(CultureInfo.InvariantCulture)} bytes) of output left out here: " +
                    $"the job log keeps the first {HookJobLines.HeadBytes / 1024} KiB and the last {HookJobLines.TailBytes / 1024} KiB of each hook run");
            while (_tail.TryDequeue(out var t)) write(t.Stream, t.Line);
            _tailBytes = 0;
            _droppedLines = 0;
            _droppedBytes = 0;
        }
    }
}
