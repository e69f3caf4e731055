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

    /// <summary>
    /// READ/WRITE up to this size start on the reader (see <see cref="RunsInline"/>). Measured with
    /// nbdcopy's 256 KiB requests: starting them on the reader beat a hop to the pool, and copying
    /// 1 MiB from the page cache delays the next header by well under a millisecond.
    /// </summary>
    private const int InlineMax = LargePayload;

    /// <summary>Replies the reader gathers before one send; bounded, so memory per connection stays bounded.</summary>
    private const int BatchSize = 64 * 1024;

    /// <summary>Replies above this size are sent from their own buffer instead of being copied into the batch.</summary>
    private const int BatchCopyMax = 16 * 1024;

    private byte[] _batch = [];  // allocated after GO (AllocateTransmissionBuffers)
    private int _batchLen;

    /// <summary>A success reply: null buffer = simple reply without data; else a pooled buffer holding the whole message.</summary>
    private readonly record struct Reply(byte[]? Buffer, int Length);

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
                if (Buffered < NbdRequest.Size)
                {
                    // About to wait for the peer: the replies gathered so far go out first.
                    await FlushBatchAsync().ConfigureAwait(false);
                    if (!await TryFillAsync(NbdRequest.Size).ConfigureAwait(false)) return "peer closed";
                }
                var req = NbdRequest.Parse(_rx.AsSpan(_rxPos, NbdRequest.Size));
                _rxPos += NbdRequest.Size;
                if (req.Command == NbdCommand.Disconnect) return "disconnect requested";  // §7.3: no reply

                bool large = req.Length > LargePayload && req.Command is NbdCommand.Read or NbdCommand.Write;
                if (!_slots.Wait(0))
                {
                    await FlushBatchAsync().ConfigureAwait(false);
                    await _slots.WaitAsync(Ct).ConfigureAwait(false);
                }
                byte[]? payload = null;
                bool haveLarge = false;
                try
                {
                    if (large)
                    {
                        if (!_largeSlots.Wait(0))
                        {
                            await FlushBatchAsync().ConfigureAwait(false);
                            await _largeSlots.WaitAsync(Ct).ConfigureAwait(false);
                        }
                        haveLarge = true;
                    }
                    if (req.Command == NbdCommand.Write)
                    {
                        // §5/§6: payloads above 32 MiB may be treated as abuse; the bytes cannot be skipped
                        // cheaply, so answer once and drop the connection (sync would otherwise be lost).
                        if (req.Length > NbdLimits.MaxPayload)
                        {
                            await FlushBatchAsync().ConfigureAwait(false);
                            await SendErrorAsync(req, NbdError.Invalid, $"write payload of {req.Length} bytes exceeds {NbdLimits.MaxPayload}").ConfigureAwait(false);
                            throw new NbdProtocolException($"WRITE payload of {req.Length} bytes exceeds the {NbdLimits.MaxPayload}-byte limit");
                        }
                        // Always a copy of its own: the request may outlive the receive buffer's window.
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
                if (RunsInline(req))
                {
                    await RunInlineAsync(req, payload, haveLarge).ConfigureAwait(false);
                }
                else
                {
                    var p = payload;
                    bool l = haveLarge;
                    _ = Task.Run(() => ProcessAsync(req, p, l));
                }
            }
        }
        finally
        {
            await FlushBatchAsync().ConfigureAwait(false);
            // §10: finish every outstanding request (their replies go out) before the socket closes.
            for (int i = 0; i < MaxInFlight; i++) await _slots.WaitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Small READ/WRITE without FUA start on the reader itself: a page-cache pread/pwrite costs less
    /// than a thread hop, and a device that has to wait (a read from disk, a write hook) returns an
    /// incomplete ValueTask, which is finished on the thread pool while the reader goes on. FLUSH, FUA
    /// and the rest may block for a long time in fsync or fallocate, so they always go to the pool.
    /// </summary>
    private static bool RunsInline(NbdRequest req) =>
        req.Length <= InlineMax && (req.Flags & NbdCommandFlags.Fua) == 0
        && req.Command is NbdCommand.Read or NbdCommand.Write or NbdCommand.Cache;

    private async ValueTask RunInlineAsync(NbdRequest req, byte[]? payload, bool large)
    {
        var work = ExecuteAsync(req, payload);
        if (!work.IsCompleted)
        {
            _ = FinishAsync(work, req, payload, large);
            return;
        }
        try
        {
            Reply reply;
            try
            {
                reply = work.Result;
            }
            catch (Exception ex)
            {
                await BatchErrorAsync(req, ex).ConfigureAwait(false);
                return;
            }
            await BatchAsync(req, reply).ConfigureAwait(false);
        }
        finally
        {
            Release(payload, large);
        }
    }

    private Task ProcessAsync(NbdRequest req, byte[]? payload, bool large) =>
        FinishAsync(ExecuteAsync(req, payload), req, payload, large);

    /// <summary>Completes a request off the reader: waits for the device, then sends the reply under the write lock.</summary>
    private async Task FinishAsync(ValueTask<Reply> work, NbdRequest req, byte[]? payload, bool large)
    {
        try
        {
            Reply reply;
            try
            {
                reply = await work.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                var (error, message) = MapError(ex);
                if (error == NbdError.Io) _log.CommandFailed(_peer, req.Command.ToString(), req.Offset, req.Length, error.ToString(), ex);
                await SendErrorAsync(req, error, message).ConfigureAwait(false);
                return;
            }
            if (reply.Buffer is null)
            {
                await SendOkAsync(req).ConfigureAwait(false);
                return;
            }
            try
            {
                await SendLockedAsync(reply.Buffer.AsMemory(0, reply.Length)).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(reply.Buffer);
            }
        }
        finally
        {
            Release(payload, large);
        }
    }

    private void Release(byte[]? payload, bool large)
    {
        if (payload is not null) ArrayPool<byte>.Shared.Return(payload);
        if (large) _largeSlots.Release();
        _slots.Release();
    }

    /// <summary>Adds a finished request's reply to the reader's batch; big replies go out on their own, without a copy.</summary>
    private async ValueTask BatchAsync(NbdRequest req, Reply reply)
    {
        if (reply.Buffer is null)
        {
            if (_batchLen + NbdSimpleReply.Size > _batch.Length) await FlushBatchAsync().ConfigureAwait(false);
            new NbdSimpleReply(NbdError.None, req.Cookie).Write(_batch.AsSpan(_batchLen));
            _batchLen += NbdSimpleReply.Size;
            return;
        }
        try
        {
            if (reply.Length > BatchCopyMax)
            {
                await FlushBatchAsync().ConfigureAwait(false);
                await SendLockedAsync(reply.Buffer.AsMemory(0, reply.Length)).ConfigureAwait(false);
                return;
            }
            if (_batchLen + reply.Length > _batch.Length) await FlushBatchAsync().ConfigureAwait(false);
            reply.Buffer.AsSpan(0, reply.Length).CopyTo(_batch.AsSpan(_batchLen));
            _batchLen += reply.Length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(reply.Buffer);
        }
    }

    private async ValueTask BatchErrorAsync(NbdRequest req, Exception ex)
    {
        var (error, message) = MapError(ex);
        if (error == NbdError.Io) _log.CommandFailed(_peer, req.Command.ToString(), req.Offset, req.Length, error.ToString(), ex);
        if (_batchLen + MaxErrorReply > _batch.Length) await FlushBatchAsync().ConfigureAwait(false);
        _batchLen += WriteErrorReply(_batch.AsSpan(_batchLen), req, error, message);
    }

    /// <summary>Sends the gathered replies as one message stream write; each reply in it is whole (§7.4).</summary>
    private async ValueTask FlushBatchAsync()
    {
        if (_batchLen == 0) return;
        await SendLockedAsync(_batch.AsMemory(0, _batchLen)).ConfigureAwait(false);
        _batchLen = 0;
    }

    private (NbdError, string) MapError(Exception ex)
    {
        switch (ex)
        {
            case RequestError r: return (r.Error, r.Message);
            case FastZeroNotSupportedException: return (NbdError.NotSupported, ex.Message);
            case UnauthorizedAccessException: return (NbdError.Perm, ex.Message);
            case ArgumentException: return (NbdError.Invalid, ex.Message);
            case OperationCanceledException: return (NbdError.Shutdown, "the server is shutting down");
            // .NET keeps the errno in HResult for unmapped errors: ENOSPC 28, EFBIG 27, EDQUOT 122 (§9).
            case IOException { HResult: 28 or 27 or 122 }: return (NbdError.NoSpace, ex.Message);
            case IOException: return (NbdError.Io, ex.Message);
            default:
                // Not a failure the device or the request can explain: the server's own bug. The
                // client still gets EIO and the connection lives on; the hook lets a fuzzer see it.
                InternalError?.Invoke(ex);
                return (NbdError.Io, "internal error: " + ex.GetType().Name);
        }
    }

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
            new NbdSimpleReply(NbdError.None, req.Cookie).Write(WriteBuf);
            await SendAsync(WriteBuf.AsMemory(0, NbdSimpleReply.Size)).ConfigureAwait(false);
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
            int n = WriteErrorReply(WriteBuf, req, error, message);
            await SendAsync(WriteBuf.AsMemory(0, n)).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Largest reply <see cref="WriteErrorReply"/> produces.</summary>
    private const int MaxErrorReply = NbdStructuredReplyChunk.Size + 6 + NbdStructuredReplyChunk.MaxErrorMessage;

    private int WriteErrorReply(Span<byte> dest, NbdRequest req, NbdError error, string message)
    {
        if (_structured) return NbdStructuredReplyChunk.WriteError(dest, req.Cookie, error, message);
        new NbdSimpleReply(error, req.Cookie).Write(dest);
        return NbdSimpleReply.Size;
    }
}
