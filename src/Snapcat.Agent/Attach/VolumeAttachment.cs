namespace Snapcat.Agent.Attach;

/// <summary>
/// An attached, read-only mounted backup volume. It remembers the steps that made it, so that
/// <see cref="DetachAsync"/> (unmount, stop the attach, wait for it to end) undoes exactly those.
/// </summary>
public sealed class VolumeAttachment
{
    private readonly UndoStack _undo;

    internal VolumeAttachment(AttachRequest request, string devicePath, UndoStack undo)
    {
        Request = request;
        DevicePath = devicePath;
        _undo = undo;
    }

    public AttachRequest Request { get; }

    /// <summary>The root of the mounted backup file system.</summary>
    public string MountDirectory => Request.MountDirectory;

    /// <summary>The file or device the volume's bytes are readable through (e.g. the nbdfuse file).</summary>
    public string DevicePath { get; }

    /// <summary>What is still set up, in the order it was done.</summary>
    public IReadOnlyList<string> Steps => _undo.Steps;

    public bool IsAttached => _undo.Steps.Count > 0;

    public Task DetachAsync(LogSink log) => _undo.UndoAllAsync(log);
}
