using System.Buffers;
using Snapcat.Core.Storage;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Server;

// Transmission phase (spec §6–§10): the reader loop, dispatch to the thread pool, reply writing and
// the mapping of failures onto §9 error numbers.
internal sealed partial class NbdConnection
{
    /// <summary>Requests being processed at once per connection; the reader waits for a slot (back-pressure).</summary>
    private const int MaxInFlight = 16;

    /// <summary>READ/WRITE payloads above this size count against <see cref="MaxLargeInFlight"/>.</summary>
    private const int LargePayload = 1 << 20;

    /// <summary>Bounds buffered payload memory per connection to about 16 × 1 MiB + 2 × 32 MiB.</summary>
    private const int MaxLargeInFlight = 2;

    private readonly SemaphoreSlim _slots = new(MaxInFlight, MaxInFlight);
    private readonly SemaphoreSlim _largeSlots = new(MaxLargeInFlight, MaxLargeInFlight);

    /// <summary>A request that framing survived but that must be refused with a §9 error.</summary>
    private sealed class RequestError(NbdError error, string message) : Exception(message)
    {
        public NbdError Error { get; } = error;
    }

    private async Task<string> TransmitAsync()
    {
        try
        {
            while (true)
            {
                if (!await TryReadExactlyAsync(_readBuf.AsMemory(0, NbdRequest.Size)).ConfigureAwait(false)) return "peer closed";
                var req = NbdRequest.Parse(_readBuf);
                if (req.Command == NbdCommand.Disconnect) return "disconnect requested";  // §7.3: no reply

                bool large = req.Length > LargePayload && req.Command is NbdCommand.Read or NbdCommand.Write;
                await _slots.WaitAsync(Ct).ConfigureAwait(false);
                byte[]? payload = null;
                bool haveLarge = false;
                try
                {
                    if (large)
                    {
                        await _largeSlots.WaitAsync(Ct).ConfigureAwait(false);
                        haveLarge = true;
                    }
                    if (req.Command == NbdCommand.Write)
                    {
                        // §5/§6: payloads above 32 MiB may be treated as abuse; the bytes cannot be skipped
                        // cheaply, so answer once and drop the connection (sync would otherwise be lost).
                        if (req.Length > NbdLimits.MaxPayload)
                        {
                            await SendErrorAsync(req, NbdError.Invalid, $"write payload of {req.Length} bytes exceeds {NbdLimits.MaxPayload}").ConfigureAwait(false);
                            throw new NbdProtocolException($"WRITE payload of {req.Length} bytes exceeds the {NbdLimits.MaxPayload}-byte limit");
                        }
                        payload = ArrayPool<byte>.Shared.Rent((int)req.Length);
                        await ReadExactlyAsync(payload.AsMemory(0, (int)req.Length)).ConfigureAwait(false);
                    }
                }
                catch
                {
                    if (payload is not null) ArrayPool<byte>.Shared.Return(payload);
                    if (haveLarge) _largeSlots.Release();
                    _slots.Release();
                    throw;
                }
                var p = payload;
                bool l = haveLarge;
                _ = Task.Run(() => ProcessAsync(req, p, l));
            }
        }
        finally
        {
            // §10: finish every outstanding request (their replies go out) before the socket closes.
            for (int i = 0; i < MaxInFlight; i++) await _slots.WaitAsync().ConfigureAwait(false);
        }
    }

    private async Task ProcessAsync(NbdRequest req, byte[]? payload, bool large)
    {
        try
        {
            await ExecuteAsync(req, payload).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var (error, message) = MapError(ex);
            if (error == NbdError.Io) _log.CommandFailed(_peer, req.Command.ToString(), req.Offset, req.Length, error.ToString(), ex);
            await SendErrorAsync(req, error, message).ConfigureAwait(false);
        }
        finally
        {
            if (payload is not null) ArrayPool<byte>.Shared.Return(payload);
            if (large) _largeSlots.Release();
            _slots.Release();
        }
    }

    private (NbdError, string) MapError(Exception ex) => ex switch
    {
        RequestError r => (r.Error, r.Message),
        FastZeroNotSupportedException => (NbdError.NotSupported, ex.Message),
        UnauthorizedAccessException => (NbdError.Perm, ex.Message),
        ArgumentException => (NbdError.Invalid, ex.Message),
        OperationCanceledException => (NbdError.Shutdown, "the server is shutting down"),
        // .NET keeps the errno in HResult for unmapped errors: ENOSPC 28, EFBIG 27, EDQUOT 122 (§9).
        IOException { HResult: 28 or 27 or 122 } => (NbdError.NoSpace, ex.Message),
        IOException => (NbdError.Io, ex.Message),
        _ => (NbdError.Io, "internal error: " + ex.GetType().Name),
    };

    private async ValueTask SendLockedAsync(ReadOnlyMemory<byte> message)
    {
        try
        {
            await _writeLock.WaitAsync(Ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return;  // connection broken: nobody is listening for this reply
        }
        try
        {
            await SendAsync(message).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Success without payload: a simple reply, allowed for everything but READ even with structured replies (§8.1).</summary>
    private async ValueTask SendOkAsync(NbdRequest req)
    {
        try
        {
            await _writeLock.WaitAsync(Ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return;
        }
        try
        {
            new NbdSimpleReply(NbdError.None, req.Cookie).Write(_writeBuf);
            await SendAsync(_writeBuf.AsMemory(0, NbdSimpleReply.Size)).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>An error as a structured ERROR chunk with a message when negotiated (READ requires it), else a simple reply without data.</summary>
    private async ValueTask SendErrorAsync(NbdRequest req, NbdError error, string message)
    {
        try
        {
            await _writeLock.WaitAsync(Ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return;
        }
        try
        {
            int n;
            if (_structured)
            {
                n = NbdStructuredReplyChunk.WriteError(_writeBuf, req.Cookie, error, message);
            }
            else
            {
                new NbdSimpleReply(error, req.Cookie).Write(_writeBuf);
                n = NbdSimpleReply.Size;
            }
            await SendAsync(_writeBuf.AsMemory(0, n)).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
