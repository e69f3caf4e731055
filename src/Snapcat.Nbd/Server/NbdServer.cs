using System.Net;
using Microsoft.Extensions.Logging;

namespace Snapcat.Nbd.Server;

// TEMPORARY STUB (branch array-daemon only): the real NBD server is written on another branch and
// replaces this file at merge. It only has the shape the array daemon codes against: it binds the
// listener (so the port is really taken and the ready line is honest) but speaks no protocol.
public sealed class NbdServer : IAsyncDisposable
{
    private readonly IPEndPoint _listen;
    private System.Net.Sockets.TcpListener? _listener;

    public NbdServer(IPEndPoint listen, INbdExportCatalog catalog, ILogger? logger = null)
    {
        _listen = listen;
        _ = catalog;
        _ = logger;
    }

    public Task StartAsync(CancellationToken ct)
    {
        _listener = new System.Net.Sockets.TcpListener(_listen);
        _listener.Start();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _listener?.Stop();
        _listener?.Dispose();
        return ValueTask.CompletedTask;
    }
}
