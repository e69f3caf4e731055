using System.Buffers;
using System.Runtime.InteropServices;
using Org.BouncyCastle.Tls;

namespace Snapcat.Nbd.Tls;

/// <summary>
/// A TLS connection over BouncyCastle's engine in non-blocking mode, for the array's PSK data ports
/// (<see cref="ForServer"/>) and Snapcat's NBD client towards them or nbdkit (<see cref="ConnectAsync"/>);
/// SslStream cannot do TLS-PSK. Network bytes are fed to the engine and its output is sent with async
/// socket calls, so no thread is parked per connection.
/// BouncyCastle's own blocking <c>Stream</c> would serialise reads and writes through
/// <see cref="Stream"/>'s default async wrappers, and NBD needs a read pending while replies go out.
///
/// Threading: one reader and one writer at a time (as for <see cref="System.Net.Security.SslStream"/>).
/// Every call into the engine holds <see cref="_engine"/>; every send of engine output holds
/// <see cref="_send"/>, so records leave whole and in the order the engine made them.
/// </summary>
internal sealed class BouncyTlsStream : Stream
{
    /// <summary>Plaintext handed to the engine per record batch: bounds the ciphertext buffered at once.</summary>
    private const int WriteChunk = 256 * 1024;

    private readonly Stream _transport;
    private readonly TlsProtocol _protocol;
    private readonly Action _start;
    private readonly string _peer;
    private readonly object _engine = new();
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly byte[] _netIn = new byte[64 * 1024];
    private int _disposed;

    private BouncyTlsStream(Stream transport, TlsProtocol protocol, Action start, string peer)
    {
        (_transport, _protocol, _start, _peer) = (transport, protocol, start, peer);
    }

    /// <summary>The server side of a connection; <see cref="HandshakeAsync"/> then runs the handshake.</summary>
    public static BouncyTlsStream ForServer(Stream transport, TlsServer server)
    {
        var protocol = new TlsServerProtocol();
        return new BouncyTlsStream(transport, protocol, () => protocol.Accept(server), "client");
    }

    /// <summary>Runs the client side of the handshake over <paramref name="transport"/>; the stream returned owns it.</summary>
    public static async Task<BouncyTlsStream> ConnectAsync(Stream transport, TlsClient client, CancellationToken ct)
    {
        var protocol = new TlsClientProtocol();
        var stream = new BouncyTlsStream(transport, protocol, () => protocol.Connect(client), "server");
        await stream.HandshakeAsync(ct).ConfigureAwait(false);
        return stream;
    }

    public async Task HandshakeAsync(CancellationToken ct)
    {
        lock (_engine) _start();
        while (true)
        {
            await FlushEngineOutputAsync(ct).ConfigureAwait(false);
            bool handshaking;
            lock (_engine) handshaking = _protocol.IsHandshaking;
            if (!handshaking) break;
            int n = await _transport.ReadAsync(_netIn, ct).ConfigureAwait(false);
            if (n == 0) throw new EndOfStreamException($"the {_peer} closed the connection during the TLS handshake");
            await OfferAsync(n).ConfigureAwait(false);
        }
        bool connected;
        lock (_engine) connected = _protocol.IsConnected;
        if (!connected) throw new IOException("the TLS handshake did not complete");
    }

    /// <summary>
    /// Feeds <paramref name="n"/> bytes of <see cref="_netIn"/> to the engine. On a fatal alert (bad
    /// MAC, unknown PSK identity) the engine has queued the alert: it is sent, briefly and best
    /// effort, so the peer can say why, and the error goes on up.
    /// </summary>
    private async ValueTask OfferAsync(int n)
    {
        try
        {
            lock (_engine) _protocol.OfferInput(_netIn, 0, n);
            return;
        }
        catch (TlsException)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await FlushEngineOutputAsync(cts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
            throw;
        }
    }

    private async ValueTask FlushEngineOutputAsync(CancellationToken ct)
    {
        await _send.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await SendPendingAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _send.Release();
        }
    }

    /// <summary>Sends what the engine has queued; the caller holds <see cref="_send"/>.</summary>
    private async ValueTask SendPendingAsync(CancellationToken ct)
    {
        while (true)
        {
            byte[] buf;
            int n;
            lock (_engine)
            {
                n = _protocol.GetAvailableOutputBytes();
                if (n == 0) return;
                buf = ArrayPool<byte>.Shared.Rent(n);
                n = _protocol.ReadOutput(buf, 0, n);
            }
            try
            {
                await _transport.WriteAsync(buf.AsMemory(0, n), ct).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buf);
            }
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0) return 0;
        byte[] target;
        int offset;
        if (MemoryMarshal.TryGetArray<byte>(buffer, out var seg)) { target = seg.Array!; offset = seg.Offset; }
        else { target = new byte[buffer.Length]; offset = 0; }
        while (true)
        {
            lock (_engine)
            {
                int avail = _protocol.GetAvailableInputBytes();
                if (avail > 0)
                {
                    int got = _protocol.ReadInput(target, offset, Math.Min(avail, buffer.Length));
                    if (target != seg.Array) target.AsSpan(0, got).CopyTo(buffer.Span);
                    return got;
                }
                if (_protocol.IsClosed) return 0;
            }
            int n = await _transport.ReadAsync(_netIn, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                lock (_engine)
                {
                    try { _protocol.CloseInput(); }
                    catch (TlsException) { }  // truncated: the peer went away without close_notify
                }
                return 0;
            }
            await OfferAsync(n).ConfigureAwait(false);
            // The engine may owe the peer something (an alert, a renegotiation refusal). Not awaited: a
            // reader queued behind a writer that waits for the peer to read would stall both directions.
            bool owed;
            lock (_engine) owed = _protocol.GetAvailableOutputBytes() > 0;
            if (owed) _ = FlushQuietlyAsync();
        }
    }

    private async Task FlushQuietlyAsync()
    {
        try { await FlushEngineOutputAsync(CancellationToken.None).ConfigureAwait(false); }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or TlsException)
        {
            // The connection is failing; the reader sees it on its next read.
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (buffer.Length > 0)
            {
                var chunk = buffer[..Math.Min(buffer.Length, WriteChunk)];
                byte[]? rented = null;
                try
                {
                    ArraySegment<byte> seg;
                    if (!MemoryMarshal.TryGetArray(chunk, out seg))
                    {
                        rented = ArrayPool<byte>.Shared.Rent(chunk.Length);
                        chunk.CopyTo(rented);
                        seg = new ArraySegment<byte>(rented, 0, chunk.Length);
                    }
                    lock (_engine) _protocol.WriteApplicationData(seg.Array!, seg.Offset, seg.Count);
                }
                finally
                {
                    if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
                }
                await SendPendingAsync(cancellationToken).ConfigureAwait(false);
                buffer = buffer[chunk.Length..];
            }
        }
        finally
        {
            _send.Release();
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

#pragma warning disable VSTHRD002 // Stream's synchronous Read/Write contract; Snapcat's NBD code calls only the async members
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();
#pragma warning restore VSTHRD002

#pragma warning disable VSTHRD002 // Stream's synchronous Read/Write contract; Snapcat's NBD code calls only the async members
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();
#pragma warning restore VSTHRD002

    public override Task FlushAsync(CancellationToken cancellationToken) => _transport.FlushAsync(cancellationToken);

    public override void Flush() => _transport.Flush();

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // No close_notify: Dispose is how the connection is broken, possibly while a send is under
            // way, and NBD's own DISC already ended the conversation cleanly.
            _transport.Dispose();
        }
        base.Dispose(disposing);
    }
}
