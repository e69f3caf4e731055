using Snapcat.Core.Storage;

namespace Snapcat.Nbd.Server;

/// <summary>
/// What an NBD data port serves: the array implements it with its port/LUN assignments (export
/// name = LUN in decimal); tests implement it over plain files or memory.
/// </summary>
public interface INbdExportCatalog
{
    /// <summary>The exports for NBD_OPT_LIST, in order.</summary>
    IReadOnlyList<NbdExportListing> List();

    /// <summary>
    /// Opens an export for one connection (NBD_OPT_GO / EXPORT_NAME), or for one INFO answer.
    /// Returns null when there is no such export. The handle is disposed when the connection ends,
    /// so the catalog can count writers per volume.
    /// </summary>
    ValueTask<NbdExportHandle?> OpenAsync(string name, CancellationToken ct);

    /// <summary>
    /// The exports <paramref name="identity"/> may see (LUN masking): the TLS identity of the
    /// connection (PSK username or certificate subject), null for a plain connection or one without
    /// an identity. A catalog without masking lists everything.
    /// </summary>
    IReadOnlyList<NbdExportListing> List(string? identity) => List();

    /// <summary>
    /// As <see cref="OpenAsync(string, CancellationToken)"/>, for a connection with this identity; an
    /// export the identity may not open is null, exactly as one that does not exist.
    /// </summary>
    ValueTask<NbdExportHandle?> OpenAsync(string name, string? identity, CancellationToken ct) => OpenAsync(name, ct);
}

public sealed record NbdExportListing(string Name, string Description);

/// <summary>One connection's view of an export.</summary>
public sealed class NbdExportHandle(string name, string description, IBlockDevice device, bool readOnly, Func<ValueTask>? onClose = null) : IAsyncDisposable
{
    private Func<ValueTask>? _onClose = onClose;

    public string Name { get; } = name;
    public string Description { get; } = description;
    public IBlockDevice Device { get; } = device;
    public bool ReadOnly { get; } = readOnly || device.IsReadOnly;

    /// <summary>
    /// True when a flush on one connection makes every write acknowledged on any connection durable
    /// (NBD_FLAG_CAN_MULTI_CONN). Holds for devices backed by one shared file handle, whose fsync
    /// covers all writes.
    /// </summary>
    public bool MultiConn { get; init; } = true;

    public ValueTask DisposeAsync()
    {
        var f = Interlocked.Exchange(ref _onClose, null);
        return f?.Invoke() ?? ValueTask.CompletedTask;
    }
}
