using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Snapcat.Nbd.Tls;

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
    private readonly ConcurrentDictionary<IPAddress, int> _perPeer = new();
    private readonly object _refusalSync = new();
    private long _lastRefusalLog = long.MinValue;
    private int _refusedSinceLog;
    private Socket? _listener;
    private Socket? _bound;
    private Task? _acceptLoop;
    private int _stopped;

    public NbdServer(IPEndPoint listen, INbdExportCatalog catalog, ILogger? logger = null)
    {
        _listen = listen;
        _catalog = catalog;
        _log = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// A server on a socket from <see cref="Bind"/>: the caller learns the real port of a port-0 endpoint
    /// before it builds the catalog, and no client is accepted before <see cref="StartAsync"/>.
    /// </summary>
    public NbdServer(Socket bound, INbdExportCatalog catalog, ILogger? logger = null)
        : this((IPEndPoint)(bound.LocalEndPoint ?? throw new ArgumentException("the socket is not bound", nameof(bound))), catalog, logger)
    {
        _bound = bound;
    }

    /// <summary>
    /// Binds (port 0: the kernel chooses) without listening, so a connection attempt is refused until
    /// <see cref="StartAsync"/> rather than queued in the backlog of a server that is still recovering.
    /// </summary>
    public static Socket Bind(IPEndPoint endpoint)
    {
        var s = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            s.Bind(endpoint);
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>Connections beyond this are closed at once (a cheap guard against connection floods).</summary>
    public int MaxConnections { get; init; } = 1024;

    /// <summary>
    /// Connections one peer address may hold at once. NBD has no authentication, so without this one
    /// host's idle sockets could take every slot of <see cref="MaxConnections"/> and lock every other
    /// host out; 64 leaves room for multi-conn clients (nbdcopy opens 4) running side by side.
    /// </summary>
    public int MaxConnectionsPerPeer { get; init; } = DefaultMaxConnectionsPerPeer;

    public const int DefaultMaxConnectionsPerPeer = 64;

    /// <summary>A connection that has not finished the handshake (GO or EXPORT_NAME) by then is closed.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = DefaultHandshakeTimeout;

    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The port's TLS policy (spec §3.12); anything but Off needs <see cref="TlsCredentials"/>.</summary>
    public NbdTlsMode TlsMode { get; init; }

    /// <summary>How the TLS handshake after STARTTLS is run (X.509 or PSK).</summary>
    public INbdTlsServerCredentials? TlsCredentials { get; init; }

    /// <summary>Connections and data bytes are counted here when set (the array's <c>/metrics</c>).</summary>
    public NbdMetrics? Metrics { get; init; }

    /// <summary>Refused connections are logged once per interval with a count, so a flood cannot flood the log too.</summary>
    public TimeSpan RefusalLogInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The bound endpoint (with the real port when port 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint =>
        (IPEndPoint)(_listener?.LocalEndPoint ?? throw new InvalidOperationException("the NBD server is not started"));

    /// <summary>Open TCP connections, in handshake or transmission.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Connections in the transmission phase on <paramref name="export"/>.</summary>
    public int ConnectionsTo(string export) => _perExport.TryGetValue(export, out int n) ? n : 0;

    public Task StartAsync(CancellationToken ct = default)
    {
        if (TlsMode != NbdTlsMode.Off && TlsCredentials is null)
            throw new InvalidOperationException($"TLS mode {TlsMode} needs TLS credentials");
        if (_listener is not null) throw new InvalidOperationException("the NBD server is already started");
        var s = _bound ?? Bind(_listen);
        _bound = null;
        try
        {
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
        var remote = client.RemoteEndPoint as IPEndPoint;
        string peer = remote?.ToString() ?? "?";
        if (_connections.Count >= MaxConnections)
        {
            Refuse(client, peer, $"{_connections.Count} connections open, the limit is {MaxConnections}");
            return;
        }
        IPAddress? address = remote?.Address is { } ra && ra.IsIPv4MappedToIPv6 ? ra.MapToIPv4() : remote?.Address;
        if (address is not null && !TryCountPeer(address))
        {
            Refuse(client, peer, $"{address} already holds {MaxConnectionsPerPeer} connections, the per-peer limit");
            return;
        }
        NbdConnection conn;
        try
        {
            client.NoDelay = true;  // §1: replies are small and latency-bound
            var stream = new NetworkStream(client, ownsSocket: true);
            conn = new NbdConnection(stream, stream, _catalog, _log, peer, CountExport, token, HandshakeTimeout)
            {
                TlsMode = TlsMode,
                TlsCredentials = TlsCredentials,
                Metrics = Metrics,
            };
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            if (address is not null) UncountPeer(address);
            client.Dispose();
            return;  // the peer left between accept and here
        }
        _log.Accepted(peer);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _connections[conn] = done.Task;
        Metrics?.Opened();
        _ = Task.Run(async () =>
        {
            try
            {
                await conn.RunAsync().ConfigureAwait(false);
            }
            finally
            {
                _connections.TryRemove(conn, out _);
                Metrics?.Closed();
                if (address is not null) UncountPeer(address);
                done.TrySetResult();
            }
        }, CancellationToken.None);
    }

    private bool TryCountPeer(IPAddress address)
    {
        while (true)
        {
            int n = _perPeer.GetOrAdd(address, 0);
            if (n >= MaxConnectionsPerPeer) return false;
            if (_perPeer.TryUpdate(address, n + 1, n)) return true;
        }
    }

    private void UncountPeer(IPAddress address)
    {
        while (true)
        {
            if (!_perPeer.TryGetValue(address, out int n)) return;
            if (n <= 1 ? _perPeer.TryRemove(new KeyValuePair<IPAddress, int>(address, n)) : _perPeer.TryUpdate(address, n - 1, n)) return;
        }
    }

    /// <summary>Closes a connection over a limit; logs the first refusal, then at most one summary per <see cref="RefusalLogInterval"/>.</summary>
    private void Refuse(Socket client, string peer, string why)
    {
        client.Dispose();
        int count;
        lock (_refusalSync)
        {
            _refusedSinceLog++;
            long now = Environment.TickCount64;
            if (_lastRefusalLog != long.MinValue && now - _lastRefusalLog < (long)RefusalLogInterval.TotalMilliseconds) return;
            _lastRefusalLog = now;
            count = _refusedSinceLog;
            _refusedSinceLog = 0;
        }
        _log.ConnectionsRefused(LocalEndPoint, count, RefusalLogInterval.TotalSeconds, peer, why);
    }

    private void CountExport(string export, int delta) =>
        _perExport.AddOrUpdate(export, delta, (_, n) => n + delta);

    /// <summary>Stops listening and closes every connection; waits for their request handlers to finish.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _stop.Cancel();
        _listener?.Dispose();
        _bound?.Dispose();  // bound but never started
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
