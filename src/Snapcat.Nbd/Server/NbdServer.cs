using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Snapcat.Nbd.Server;

/// <summary>
/// A fixed-newstyle NBD server (docs/nbd.md) on one TCP endpoint, serving the exports of an
/// <see cref="INbdExportCatalog"/>. Each connection runs independently: a misbehaving peer is
/// dropped without disturbing the others.
/// </summary>
public sealed class NbdServer : IAsyncDisposable
{
    private readonly IPEndPoint _listen;
    private readonly INbdExportCatalog _catalog;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<NbdConnection, Task> _connections = new();
    private readonly ConcurrentDictionary<string, int> _perExport = new(StringComparer.Ordinal);
    private Socket? _listener;
    private Task? _acceptLoop;
    private int _stopped;

    public NbdServer(IPEndPoint listen, INbdExportCatalog catalog, ILogger? logger = null)
    {
        _listen = listen;
        _catalog = catalog;
        _log = logger ?? NullLogger.Instance;
    }

    /// <summary>Connections beyond this are closed at once (a cheap guard against connection floods).</summary>
    public int MaxConnections { get; init; } = 1024;

    /// <summary>The bound endpoint (with the real port when port 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint =>
        (IPEndPoint)(_listener?.LocalEndPoint ?? throw new InvalidOperationException("the NBD server is not started"));

    /// <summary>Open TCP connections, in handshake or transmission.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Connections in the transmission phase on <paramref name="export"/>.</summary>
    public int ConnectionsTo(string export) => _perExport.TryGetValue(export, out int n) ? n : 0;

    public Task StartAsync(CancellationToken ct = default)
    {
        if (_listener is not null) throw new InvalidOperationException("the NBD server is already started");
        var s = new Socket(_listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            s.Bind(_listen);
            s.Listen(128);
        }
        catch
        {
            s.Dispose();
            throw;
        }
        _listener = s;
        _log.Listening(LocalEndPoint);
        _acceptLoop = Task.Run(AcceptLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task AcceptLoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener!.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;  // e.g. ECONNABORTED for a peer that left the backlog; keep listening
            }
            Admit(client, token);
        }
    }

    private void Admit(Socket client, CancellationToken token)
    {
        string peer = client.RemoteEndPoint?.ToString() ?? "?";
        if (_connections.Count >= MaxConnections)
        {
            _log.TooManyConnections(peer, _connections.Count);
            client.Dispose();
            return;
        }
        client.NoDelay = true;  // §1: replies are small and latency-bound
        var stream = new NetworkStream(client, ownsSocket: true);
        var conn = new NbdConnection(stream, stream, _catalog, _log, peer, CountExport, token);
        _log.Accepted(peer);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _connections[conn] = done.Task;
        _ = Task.Run(async () =>
        {
            try
            {
                await conn.RunAsync().ConfigureAwait(false);
            }
            finally
            {
                _connections.TryRemove(conn, out _);
                done.TrySetResult();
            }
        }, CancellationToken.None);
    }

    private void CountExport(string export, int delta) =>
        _perExport.AddOrUpdate(export, delta, (_, n) => n + delta);

    /// <summary>Stops listening and closes every connection; waits for their request handlers to finish.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _stop.Cancel();
        _listener?.Dispose();
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
        foreach (var c in _connections.Keys) c.Break();
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
