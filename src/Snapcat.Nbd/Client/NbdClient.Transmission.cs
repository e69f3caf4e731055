using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using Snapcat.Core.Errors;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Client;

public sealed partial class NbdClient
{
    /// <summary>How long a polite disconnect waits for the server to answer what is in flight and hang up.</summary>
    private static readonly TimeSpan DisconnectGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Sends one request and waits for its reply. Cancellation before the request is on the wire
    /// withdraws it; after that the server will still answer, so the request is only abandoned (the
    /// reader discards its data) and the connection stays in sync.
    /// </summary>
    private async Task<NbdPendingRequest> SendAsync(NbdCommand command, NbdCommandFlags flags, long offset, uint length,
        Memory<byte> readBuffer, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        ThrowIfUnusable();
        ulong cookie = (ulong)Interlocked.Increment(ref _nextCookie);
        var p = new NbdPendingRequest(command, cookie, offset, length, readBuffer);

        // Request header (§6), 28 bytes, followed by the payload for WRITE only:
        //   0  u32  0x25609513
        //   4  u16  command flags
        //   6  u16  command type
        //   8  u64  cookie
        //  16  u64  offset
        //  24  u32  length
        var header = new byte[28];
        BinaryPrimitives.WriteUInt32BigEndian(header, NbdMagic.Request);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)flags);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)command);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), cookie);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(16), (ulong)offset);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(24), length);

        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // A disconnect has begun: it waits only for what was registered before it, so nothing new may start.
            if (_closing) throw new ObjectDisposedException(nameof(NbdClient), $"the connection to nbd server at {Address} is closing");
            // Registered before sending, so the reply cannot overtake the table entry.
            _pending[cookie] = p;
            if (Volatile.Read(ref _broken) is { } broken && _pending.TryRemove(cookie, out _)) throw BrokenError(broken);
            try
            {
                // Header and payload go out back to back under the lock: one message must never be
                // interleaved with another (§7.4). Not cancellable half-way, or the stream loses sync.
                await _stream.WriteAsync(header, CancellationToken.None).ConfigureAwait(false);
                if (!payload.IsEmpty) await _stream.WriteAsync(payload, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                Break(new SnapcatException(ErrorKind.Remote, "nbd.connection_lost", $"connection to nbd server at {Address} failed: {ex.Message}", ex));
            }
        }
        finally
        {
            _writeLock.Release();
        }

        try
        {
            await p.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && !p.Task.IsCompleted)
        {
            await p.AbandonAsync().ConfigureAwait(false);
            throw;
        }
        return p;
    }

    private async Task ReadLoopAsync(NbdReplyReader reader)
    {
        try
        {
            while (await reader.ReadOneAsync(CancellationToken.None).ConfigureAwait(false)) { }
            Break(_disconnecting ? null : new SnapcatException(ErrorKind.Remote, "nbd.connection_lost", $"nbd server at {Address} closed the connection"));
        }
        catch (NbdProtocolException ex)
        {
            Break(ex);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            Break(_disconnecting ? null : new SnapcatException(ErrorKind.Remote, "nbd.connection_lost", $"connection to nbd server at {Address} failed: {ex.Message}", ex));
        }
        catch (Exception ex)
        {
            // A bug here must not leave callers waiting forever on replies nobody will read.
            Break(new SnapcatException(ErrorKind.Internal, "nbd.client_failed", $"the nbd client reader for {Address} failed: {ex.Message}", ex));
        }
    }

    /// <summary>
    /// Ends the connection exactly once: records why, fails every request in flight and closes the
    /// socket so no further byte is sent on a stream that lost sync.
    /// </summary>
    private void Break(Exception? reason)
    {
        reason ??= new ObjectDisposedException(nameof(NbdClient), $"the connection to nbd server at {Address} was closed");
        if (Interlocked.CompareExchange(ref _broken, reason, null) is not null) return;
        foreach (var cookie in _pending.Keys)
            if (_pending.TryRemove(cookie, out var p)) p.Fail(reason);
        try { _socket.Shutdown(SocketShutdown.Both); }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        _stream.Dispose();
    }

    private void ThrowIfUnusable()
    {
        if (Volatile.Read(ref _broken) is { } broken) throw BrokenError(broken);
        if (_disconnecting || _closing) throw new ObjectDisposedException(nameof(NbdClient), $"the connection to nbd server at {Address} is closing");
    }

    private Exception BrokenError(Exception broken) => broken is ObjectDisposedException
        ? new ObjectDisposedException(nameof(NbdClient), broken.Message)
        : new SnapcatException(ErrorKind.Remote, "nbd.connection_broken", $"the connection to nbd server at {Address} is broken: {broken.Message}", broken);

    /// <summary>
    /// Polite end of transmission (§10): new requests are refused, the replies still in flight are
    /// awaited (bounded), then NBD_CMD_DISC goes out and we wait for the server's close (bounded)
    /// before dropping the socket. Waiting first matters: a server may answer requests it has not yet
    /// started with ESHUTDOWN once it has read DISC (nbdkit does, with several worker threads), and
    /// libnbd likewise advises sending DISC only when nothing is in flight.
    /// </summary>
    public async Task DisconnectAsync()
    {
        if (Volatile.Read(ref _broken) is not null) return;
        await DrainInFlightAsync().ConfigureAwait(false);
        bool sent = false;
        if (await _writeLock.WaitAsync(DisconnectGrace).ConfigureAwait(false))
        {
            try
            {
                if (!_disconnecting && Volatile.Read(ref _broken) is null)
                {
                    var header = new byte[28];
                    BinaryPrimitives.WriteUInt32BigEndian(header, NbdMagic.Request);
                    BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)NbdCommand.Disconnect);
                    BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), (ulong)Interlocked.Increment(ref _nextCookie));
                    _disconnecting = true;
                    await _stream.WriteAsync(header).ConfigureAwait(false);
                    // X.509: close_notify first, so the server sees an orderly end and not a truncation;
                    // SslStream still reads the replies in flight after it. BouncyCastle stops reading
                    // once it has sent close_notify, so the PSK stream leaves the end to the server.
                    if (_stream is SslStream ssl) await ssl.ShutdownAsync().ConfigureAwait(false);
                    _socket.Shutdown(SocketShutdown.Send);
                    sent = true;
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                // The server is already gone; closing below is all that is left to do.
            }
            finally
            {
                _writeLock.Release();
            }
        }
        _disconnecting = true;
        if (sent)
        {
            try { await _readerTask.WaitAsync(DisconnectGrace).ConfigureAwait(false); }
            catch (TimeoutException) { }
        }
        Break(null);
    }

    /// <summary>
    /// Closes the door to new requests under the write lock (every request that got the lock before is
    /// registered and on the wire), then waits, bounded by the grace, for those requests' replies.
    /// </summary>
    private async Task DrainInFlightAsync()
    {
        if (!await _writeLock.WaitAsync(DisconnectGrace).ConfigureAwait(false)) return;
        try { _closing = true; }
        finally { _writeLock.Release(); }
        var inFlight = _pending.Values.Select(p => (Task)p.Task).ToArray();
        if (inFlight.Length == 0) return;
        // A failed or slow request is its caller's to see; the disconnect goes on regardless.
        await Task.WhenAll(inFlight).WaitAsync(DisconnectGrace).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await DisconnectAsync().ConfigureAwait(false);
        await _readerTask.ConfigureAwait(false);
    }
}
