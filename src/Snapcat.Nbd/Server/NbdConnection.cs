using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Snapcat.Nbd.Protocol;
using Snapcat.Nbd.Tls;

namespace Snapcat.Nbd.Server;

/// <summary>
/// One client of the NBD server: the fixed-newstyle handshake (NbdConnection.Handshake.cs), then the
/// transmission phase (NbdConnection.Transmission.cs, NbdConnection.Commands.cs).
///
/// Threading: one reader task parses the stream strictly in order from a receive buffer (many
/// pipelined headers per recv). Small READ/WRITE start on the reader; when the device answers at once
/// (page cache) the reply joins a batch that the reader sends in one write before it next waits for
/// input, otherwise the request finishes on the thread pool. Everything else runs on the pool. Every
/// send happens under <see cref="_writeLock"/>, so replies leave in any order but each message is
/// contiguous on the wire (spec §7.4). The in-flight count, the number of large payloads and the
/// batch are bounded, so a client that pipelines without reading replies stalls itself instead of
/// exhausting server memory.
///
/// Failure policy: if the framing survives, a bad request gets an error reply and the connection
/// lives on; if sync is lost (bad magic, truncated message, absurd length) the connection is broken
/// once and nothing else is affected.
/// </summary>
internal sealed partial class NbdConnection
{
    // Replaced by the TLS stream after STARTTLS (handshake phase only, before any other task reads them).
    private Stream _input;
    private Stream _output;
    private readonly Stream _transport;
    private readonly INbdExportCatalog _catalog;
    private readonly ILogger _log;
    private readonly string _peer;
    private readonly Action<string, int>? _exportCount;
    private readonly CancellationTokenSource _cts;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    /// <summary>Receive buffer of the transmission phase: request headers and small writes are parsed from it without extra syscalls.</summary>
    private const int ReceiveBufferSize = 128 * 1024;

    /// <summary>
    /// Receive buffer of the handshake. A peer that has not finished the handshake has proved nothing
    /// (NBD has no authentication), so until GO it costs a few hundred bytes, not the ~200 KiB of
    /// transmission buffers: a thousand idle sockets must not pin 200 MiB. Option data larger than
    /// half of it bypasses it (<see cref="TryReadExactlyAsync"/>).
    /// </summary>
    private const int HandshakeReceiveBufferSize = 512;

    /// <summary>Writer scratch size: the largest handshake reply (a LIST entry, 4 + 2 × 4096 bytes) fits.</summary>
    private const int WriteBufferSize = 16 * 1024;

    /// <summary>§3.1 greeting: NBDMAGIC, IHAVEOPT, handshake flags (FIXED_NEWSTYLE | NO_ZEROES).</summary>
    private static readonly byte[] Greeting = MakeGreeting();

    // Reader-only state (the reader is a single task): the receive buffer with its unread window
    // [_rxPos, _rxEnd), and scratch for headers and option data.
    private byte[] _rx = new byte[HandshakeReceiveBufferSize];
    private int _rxPos;
    private int _rxEnd;
    private readonly byte[] _readBuf = new byte[NbdRequest.Size + 64];

    // Writer scratch, used only while holding _writeLock (or during the sequential handshake);
    // allocated by the first option reply, not at accept.
    private byte[]? _writeScratch;

    private readonly TimeSpan _handshakeTimeout;

    // 0 = handshake running, 1 = handshake finished in time, 2 = deadline passed (connection broken).
    private int _handshakeState;

    private NbdExportHandle? _export;
    private string? _exportName;
    private bool _structured;
    private bool _noZeroes;
    private string? _metaExport;     // export the base:allocation selection was made for (§3.10)
    private bool _allocationSelected;
    private int _broken;
    private bool _tlsActive;
    private string? _identity;

    public NbdConnection(Stream input, Stream output, INbdExportCatalog catalog, ILogger log, string peer,
        Action<string, int>? exportCount, CancellationToken shutdown, TimeSpan? handshakeTimeout = null)
    {
        _handshakeTimeout = handshakeTimeout ?? Timeout.InfiniteTimeSpan;
        _input = input;
        _output = output;
        _transport = input;
        _catalog = catalog;
        _log = log;
        _peer = peer;
        _exportCount = exportCount;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
    }

    public string? ExportName => _export?.Name;

    /// <summary>The port's TLS policy; <see cref="NbdTlsMode.Off"/> unless <see cref="TlsCredentials"/> are given too.</summary>
    internal NbdTlsMode TlsMode { get; init; }

    internal INbdTlsServerCredentials? TlsCredentials { get; init; }

    /// <summary>Counts data bytes of READ and WRITE (null: not counted).</summary>
    internal NbdMetrics? Metrics { get; init; }

    /// <summary>The TLS identity (PSK username, certificate subject) once TLS is up; null before or without one.</summary>
    internal string? Identity => _identity;

    /// <summary>
    /// Told of every exception that reaches an "internal error" branch (an EIO reply for an exception
    /// the server does not expect, or a connection closed by one). The server only logs these; the
    /// fuzz targets (tests/Snapcat.Fuzz) fail on them, because a malformed request that ends there is
    /// a server bug the peer merely exposed, not a protocol error.
    /// </summary>
    internal Action<Exception>? InternalError { get; init; }

    private void ReportInternalError(Exception ex)
    {
        _log.Unexpected(_peer, ex);
        InternalError?.Invoke(ex);
    }

    private CancellationToken Ct => _cts.Token;

    private byte[] WriteBuf => _writeScratch ??= new byte[WriteBufferSize];

    private static byte[] MakeGreeting()
    {
        var g = new byte[18];
        BinaryPrimitives.WriteUInt64BigEndian(g, NbdMagic.NbdMagicInit);
        BinaryPrimitives.WriteUInt64BigEndian(g.AsSpan(8), NbdMagic.IHaveOpt);
        BinaryPrimitives.WriteUInt16BigEndian(g.AsSpan(16), (ushort)(NbdHandshakeFlags.FixedNewstyle | NbdHandshakeFlags.NoZeroes));
        return g;
    }

    /// <summary>
    /// The handshake under its deadline: a peer that connects and then says nothing (or dribbles
    /// options) holds a connection slot without ever having named an export, so it is dropped when
    /// the deadline passes. The transmission phase has no such deadline (a host may idle for hours).
    /// </summary>
    private async Task<bool> HandshakeWithDeadlineAsync()
    {
        if (_handshakeTimeout == Timeout.InfiniteTimeSpan) return await HandshakeAsync().ConfigureAwait(false);
        using var timer = new Timer(static s => ((NbdConnection)s!).HandshakeExpired(), this, _handshakeTimeout, Timeout.InfiniteTimeSpan);
        bool transmit = await HandshakeAsync().ConfigureAwait(false);
        // Lost the race against the timer: the streams are already disposed.
        if (Interlocked.CompareExchange(ref _handshakeState, 1, 0) != 0) throw new OperationCanceledException("handshake deadline passed");
        return transmit;
    }

    private void HandshakeExpired()
    {
        if (Interlocked.CompareExchange(ref _handshakeState, 2, 0) == 0) Break();
    }

    /// <summary>After GO: the full-size receive buffer (keeping any bytes already read) and the reply buffers.</summary>
    private void AllocateTransmissionBuffers()
    {
        var rx = new byte[ReceiveBufferSize];
        int buffered = Buffered;
        Buffer.BlockCopy(_rx, _rxPos, rx, 0, buffered);
        _rx = rx;
        _rxPos = 0;
        _rxEnd = buffered;
        _batch = new byte[BatchSize];
        _ = WriteBuf;  // before any pool thread can race for it
    }

    /// <summary>Runs the whole connection; never throws for anything the peer does.</summary>
    public async Task RunAsync()
    {
        string reason = "done";
        try
        {
            if (await HandshakeWithDeadlineAsync().ConfigureAwait(false))
            {
                AllocateTransmissionBuffers();
                reason = await TransmitAsync().ConfigureAwait(false);
            }
            else
                reason = "handshake ended";
        }
        catch (NbdProtocolException ex)
        {
            reason = "protocol violation";
            _log.ProtocolViolation(_peer, ex.Message);
        }
        catch (EndOfStreamException)
        {
            reason = "peer closed mid-message";
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            reason = Volatile.Read(ref _handshakeState) == 2 ? "handshake deadline passed"
                : Ct.IsCancellationRequested ? "shut down" : "connection lost";
        }
        catch (Exception ex)
        {
            reason = "internal error";
            ReportInternalError(ex);
        }
        finally
        {
            Break();
            if (_export is { } e)
            {
                _exportCount?.Invoke(e.Name, -1);
                try { await e.DisposeAsync().ConfigureAwait(false); }
                catch (Exception ex) { ReportInternalError(ex); }
            }
            _cts.Dispose();
        }
        _log.Closed(_peer, reason);
    }

    /// <summary>Drops the connection once: pending reads and writes fail, the reader loop ends.</summary>
    public void Break()
    {
        if (Interlocked.Exchange(ref _broken, 1) != 0) return;
        try { _cts.Cancel(); } catch (ObjectDisposedException) { }
        _input.Dispose();
        _output.Dispose();
        _transport.Dispose();
    }

    private int Buffered => _rxEnd - _rxPos;

    /// <summary>
    /// Makes at least <paramref name="need"/> (≤ the buffer size) bytes available in <see cref="_rx"/>,
    /// reading as much as the peer has sent so that pipelined requests cost one recv for many;
    /// false on a clean end of stream with nothing buffered.
    /// </summary>
    private async ValueTask<bool> TryFillAsync(int need)
    {
        if (Buffered >= need) return true;
        if (_rx.Length - _rxPos < need)
        {
            Buffer.BlockCopy(_rx, _rxPos, _rx, 0, Buffered);
            _rxEnd = Buffered;
            _rxPos = 0;
        }
        while (Buffered < need)
        {
            int n = await _input.ReadAsync(_rx.AsMemory(_rxEnd), Ct).ConfigureAwait(false);
            if (n == 0)
            {
                if (Buffered == 0) return false;
                throw new EndOfStreamException();
            }
            _rxEnd += n;
        }
        return true;
    }

    /// <summary>Takes up to <paramref name="buffer"/>.Length buffered bytes; returns how many.</summary>
    private int TakeBuffered(Span<byte> buffer)
    {
        int n = Math.Min(Buffered, buffer.Length);
        _rx.AsSpan(_rxPos, n).CopyTo(buffer);
        _rxPos += n;
        if (_rxPos == _rxEnd) _rxPos = _rxEnd = 0;
        return n;
    }

    /// <summary>Reads exactly the buffer's length; false on a clean end of stream before the first byte.</summary>
    private async ValueTask<bool> TryReadExactlyAsync(Memory<byte> buffer)
    {
        int got = TakeBuffered(buffer.Span);
        if (got == buffer.Length) return true;
        var rest = buffer[got..];
        if (rest.Length < _rx.Length / 2)
        {
            if (!await TryFillAsync(rest.Length).ConfigureAwait(false))
            {
                if (got == 0) return false;
                throw new EndOfStreamException();
            }
            TakeBuffered(rest.Span);
            return true;
        }
        // Large payloads bypass the buffer: one copy less.
        while (rest.Length > 0)
        {
            int n = await _input.ReadAsync(rest, Ct).ConfigureAwait(false);
            if (n == 0)
            {
                if (got == 0) return false;
                throw new EndOfStreamException();
            }
            got += n;
            rest = rest[n..];
        }
        return true;
    }

    private async ValueTask ReadExactlyAsync(Memory<byte> buffer)
    {
        if (!await TryReadExactlyAsync(buffer).ConfigureAwait(false)) throw new EndOfStreamException();
    }

    /// <summary>Reads and throws away <paramref name="count"/> bytes (an option we refuse to buffer).</summary>
    private async ValueTask SkipAsync(long count)
    {
        var scratch = WriteBuf;  // the handshake is sequential: nothing is writing
        while (count > 0)
        {
            int n = (int)Math.Min(count, scratch.Length);
            await ReadExactlyAsync(scratch.AsMemory(0, n)).ConfigureAwait(false);
            count -= n;
        }
    }

    /// <summary>Writes one whole message. A failed send breaks the connection; callers need not handle it.</summary>
    private async ValueTask SendAsync(ReadOnlyMemory<byte> message)
    {
        try
        {
            await _output.WriteAsync(message, Ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            Break();
        }
    }
}
