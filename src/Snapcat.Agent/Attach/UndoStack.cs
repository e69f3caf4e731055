namespace Snapcat.Agent.Attach;

/// <summary>
/// The steps of a multi-step setup (start nbdfuse, mount, …), each with the action that undoes it.
/// Undo runs the actions in reverse order and carries on past a failing one, so that one stuck
/// unmount does not leave every earlier step in place; the failures are reported together at the end.
/// </summary>
public sealed class UndoStack
{
    private readonly List<(string Step, Func<Task> Undo)> _steps = [];
    private readonly object _gate = new();

    public IReadOnlyList<string> Steps { get { lock (_gate) return _steps.Select(s => s.Step).ToArray(); } }

    public void Push(string step, Func<Task> undo)
    {
        lock (_gate) _steps.Add((step, undo));
    }

    public async Task UndoAllAsync(LogSink log)
    {
        var failures = new List<string>();
        while (true)
        {
            (string Step, Func<Task> Undo) top;
            lock (_gate)
            {
                if (_steps.Count == 0) break;
                top = _steps[^1];
                _steps.RemoveAt(_steps.Count - 1);
            }
            try
            {
                await top.Undo().ConfigureAwait(false);
                log.Info($"undone: {top.Step}");
            }
            catch (Exception ex)
            {
                log.Error($"could not undo '{top.Step}': {ex.Message}");
                failures.Add($"{top.Step}: {ex.Message}");
            }
        }
        if (failures.Count > 0)
            Throw.Internal("attach.undo_failed", "some steps could not be undone: " + string.Join("; ", failures));
    }
}
