using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Snapcat.Core.Errors;
using Snapcat.Core.Storage;
using Snapcat.Nbd.Protocol;
using Snapcat.Nbd.Server;

namespace Snapcat.Nbd.Client;

/// <summary>
/// One NBD connection in the transmission phase, usable as an <see cref="IBlockDevice"/>. Many
/// requests may be in flight at once: senders serialise on a write lock, and one background reader
/// matches replies to requests by cookie (§7.4; the server may answer out of order).
///
/// Failure policy: a server error answer fails only its request (<see cref="NbdCommandException"/>);
/// a protocol violation or a lost socket breaks the connection once — every pending and later
/// request fails, nothing is retried. Durability is the server's: a write is durable after
/// <see cref="FlushAsync"/> or when sent with FUA.
/// </summary>
public sealed partial class NbdClient : IBlockDevice
{
    /// <summary>Default payload limit when the server sends no NBD_INFO_BLOCK_SIZE (§5: 32 MiB).</summary>
    private const uint DefaultMaxPayload = 32 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<ulong, NbdPendingRequest> _pending = new();
    private readonly Task _readerTask;
    private long _nextCookie;
    private Exception? _broken;
    private volatile bool _disconnecting;
    private volatile bool _closing;
    private int _disposed;

    private NbdClient(Socket socket, Stream stream, NbdNegotiation n, bool tls)
    {
        _socket = socket;
        _stream = stream;
        IsTls = tls;
        Details = n.Export;
        StructuredReplies = n.StructuredReplies;
        BaseAllocationContext = n.BaseAllocationId;
        uint max = n.Export.BlockSizes?.Maximum ?? DefaultMaxPayload;
        MinimumBlockSize = n.Export.BlockSizes?.Minimum ?? 1;
        PreferredBlockSize = n.Export.BlockSizes?.Preferred ?? 4096;
        // 0xFFFFFFFF means "no fixed limit"; we still never send more than 32 MiB in one request.
        MaximumPayload = (int)Math.Min(max, NbdLimits.MaxPayload);
        var reader = new NbdReplyReader(stream, _pending, n.StructuredReplies, n.BaseAllocationId, n.Export.Address);
        _readerTask = Task.Run(() => ReadLoopAsync(reader));
    }

    public NbdExportDetails Details { get; }
    public NbdAddress Address => Details.Address;
    public string ExportName => Details.ExportName;
    public string? Description => Details.Description;
    public long Size => Details.Size;
    public NbdTransmissionFlags TransmissionFlags => Details.TransmissionFlags;
    public bool IsReadOnly => Details.IsReadOnly;
    public bool CanMultiConn => Has(NbdTransmissionFlags.CanMultiConn);
    public bool StructuredReplies { get; }

    /// <summary>True when the connection runs inside TLS (NBD_OPT_STARTTLS succeeded).</summary>
    public bool IsTls { get; }

    /// <summary>The ID the server gave base:allocation, or null when block status is unavailable.</summary>
    public uint? BaseAllocationContext { get; }

    public uint MinimumBlockSize { get; }
    public uint PreferredBlockSize { get; }

    /// <summary>Largest READ/WRITE payload sent in one request; larger calls are split.</summary>
    public int MaximumPayload { get; }

    /// <summary>True once the connection failed; every later request throws.</summary>
    public bool IsBroken => Volatile.Read(ref _broken) is not null;

    private bool Has(NbdTransmissionFlags f) => (TransmissionFlags & f) != 0;

    public static async Task<NbdClient> ConnectAsync(NbdAddress address, string exportName, NbdClientOptions? options = null, CancellationToken ct = default)
    {
        CheckExportName(exportName);
        options ??= new NbdClientOptions();
        var (socket, plain) = await OpenAsync(address, options, ct).ConfigureAwait(false);
        var session = new HandshakeSession(plain);
        try
        {
            var n = await HandshakeAsync(session, address, options, ct,
                (ch, t) => NbdHandshake.NegotiateAsync(ch, exportName, options, t)).ConfigureAwait(false);
            return new NbdClient(socket, session.Stream, n, session.IsTls);
        }
        catch
        {
            await session.Stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Snapcat's Inquiry: NBD_OPT_INFO (not GO) for an export's name, size, description, flags and
    /// block sizes, then NBD_OPT_ABORT. Touches no data and opens no transmission session.
    /// </summary>
    public static Task<NbdExportDetails> InquireAsync(NbdAddress address, string exportName, CancellationToken ct = default) =>
        InquireAsync(address, exportName, null, ct);

    public static async Task<NbdExportDetails> InquireAsync(NbdAddress address, string exportName, NbdClientOptions? options, CancellationToken ct = default)
    {
        CheckExportName(exportName);
        options ??= new NbdClientOptions();
        var (_, plain) = await OpenAsync(address, options, ct).ConfigureAwait(false);
        var session = new HandshakeSession(plain);
        try
        {
            return await HandshakeAsync(session, address, options, ct, async (ch, t) =>
            {
                var (info, error) = await NbdHandshake.RequestExportAsync(ch, NbdOption.Info, exportName, t).ConfigureAwait(false);
                if (info is null) throw NbdHandshake.Refused(address, error!.Value, exportName);
                await NbdHandshake.AbortAsync(ch, t).ConfigureAwait(false);
                return info;
            }).ConfigureAwait(false);
        }
        finally
        {
            await session.Stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>NBD_OPT_LIST, then NBD_OPT_ABORT: the exports the server advertises.</summary>
    public static Task<IReadOnlyList<NbdExportListing>> ListAsync(NbdAddress address, CancellationToken ct = default) =>
        ListAsync(address, null, ct);

    public static async Task<IReadOnlyList<NbdExportListing>> ListAsync(NbdAddress address, NbdClientOptions? options, CancellationToken ct = default)
    {
        options ??= new NbdClientOptions();
        var (_, plain) = await OpenAsync(address, options, ct).ConfigureAwait(false);
        var session = new HandshakeSession(plain);
        try
        {
            return await HandshakeAsync(session, address, options, ct, async (ch, t) =>
            {
                var list = await NbdHandshake.ListAsync(ch, t).ConfigureAwait(false);
                await NbdHandshake.AbortAsync(ch, t).ConfigureAwait(false);
                return list;
            }).ConfigureAwait(false);
        }
        finally
        {
            await session.Stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// With TLS 1.3 the client's handshake ends before the server has judged the client certificate;
    /// a server that rejects it (or wanted one) hangs up at the first option after. Say so.
    /// </summary>
    private static string AfterTlsHint(HandshakeSession session, NbdClientOptions options) =>
        !session.IsTls || options.Tls is not { IsPsk: false } tls ? ""
        : tls.ClientCertificate is null
            ? " right after the TLS handshake; a server does this when it requires a client certificate and none was shown (configure certificateFile and keyFile in nbdTls)"
            : $" right after the TLS handshake; the server may not accept the client certificate {tls.ClientCertificate.Subject}";

    /// <summary>The stream a handshake runs on: the socket's, until STARTTLS replaces it with the TLS stream that owns it.</summary>
    private sealed class HandshakeSession(Stream plain)
    {
        public Stream Stream { get; set; } = plain;
        public bool IsTls { get; set; }
    }

    private static void CheckExportName(string exportName)
    {
        ArgumentNullException.ThrowIfNull(exportName);
        if (Encoding.UTF8.GetByteCount(exportName) > NbdLimits.MaxStringLength || exportName.Contains('\0'))
            Throw.Invalid("nbd.export_name_invalid", $"export name '{exportName}' is not valid for NBD (at most {NbdLimits.MaxStringLength} bytes, no NUL)");
    }

    private static async Task<(Socket, NetworkStream)> OpenAsync(NbdAddress address, NbdClientOptions options, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };  // §1: small headers must not wait for Nagle
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(address.Host, address.Port, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new SnapcatException(ErrorKind.Remote, "nbd.unreachable",
                $"nbd server at {address} did not accept a connection within {options.ConnectTimeout.TotalSeconds:0.#} s");
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            string why = ex.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : ex.Message;
            throw new SnapcatException(ErrorKind.Remote, "nbd.unreachable", $"cannot connect to nbd server at {address}: {why}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return (socket, new NetworkStream(socket, ownsSocket: true));
    }

    /// <summary>Runs one option flow under the handshake timeout and turns transport failures into clear errors.</summary>
    private static async Task<T> HandshakeAsync<T>(HandshakeSession session, NbdAddress address, NbdClientOptions options, CancellationToken ct,
        Func<NbdOptionChannel, CancellationToken, Task<T>> flow)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.HandshakeTimeout);
        try
        {
            var ch = await NbdOptionChannel.GreetAsync(session.Stream, address, timeout.Token).ConfigureAwait(false);
            if (options.Tls is { } tls)
            {
                // STARTTLS before any option that names an export (§3.12): nothing about the exports
                // travels in clear. From here on the TLS stream owns the socket's stream.
                ch = await NbdTlsUpgrade.StartTlsAsync(ch, tls, timeout.Token).ConfigureAwait(false);
                session.Stream = ch.Stream;
                session.IsTls = true;
            }
            return await flow(ch, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new SnapcatException(ErrorKind.Remote, "nbd.handshake_timeout",
                $"nbd server at {address} did not complete the handshake within {options.HandshakeTimeout.TotalSeconds:0.#} s");
        }
        catch (EndOfStreamException ex)
        {
            throw new SnapcatException(ErrorKind.Remote, "nbd.connection_lost", $"nbd server at {address} closed the connection during the handshake{AfterTlsHint(session, options)}", ex);
        }
        catch (IOException ex)
        {
            throw new SnapcatException(ErrorKind.Remote, "nbd.connection_lost", $"connection to nbd server at {address} failed during the handshake: {ex.Message}{AfterTlsHint(session, options)}", ex);
        }

    }
}
