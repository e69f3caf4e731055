using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Snapcat.Nbd.Client;
using Snapcat.Contracts.Array;

namespace Snapcat.Agent.Handlers;

/// <summary>
/// A backup volume streamed out over the agent's API (GET, for the tape copy of FIG. 16) or data
/// streamed into a volume (PUT, tape restore). The array assigns the volume to one of this host's
/// restore ports — read-only for GET, read-write for PUT — and the agent moves the bytes over NBD.
///
/// Failure policy: the restore port is released and the lease returned on every path (success, error,
/// client gone). A PUT answers 204 only after exactly the volume's size arrived and an NBD FLUSH
/// returned; a short or long body, or a body whose Content-Length is not the size (checked before the
/// volume is even assigned), is an error. A GET whose reading fails after the headers went out aborts
/// the connection, so the client sees a short body, never a complete-looking one.
/// </summary>
public sealed partial class VolumeStreamHandler(AgentRuntime runtime, ILogger logger)
{
    private readonly ILogger _logger = logger;

    /// <summary>One NBD request per chunk at most; large enough to keep a tape drive streaming.</summary>
    public const int ChunkSize = 4 << 20;

    public async Task ReadOutAsync(HttpContext http, string? deviceId, uint? volume)
    {
        var ct = http.RequestAborted;
        var (array, number, size) = await CheckAsync(deviceId, volume, ct).ConfigureAwait(false);
        var session = await OpenAsync(array, deviceId!, number, readOnly: true, ct).ConfigureAwait(false);
        await using var sessionLifetime = session.ConfigureAwait(false);
        var nbd = session.Client;
        if (nbd.Size != size)
            Throw.Remote("stream.size_mismatch", $"volume {number} is {size} bytes on the array but {nbd.Size} over NBD");

        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = size;
        var current = new byte[ChunkSize];
        var next = new byte[ChunkSize];
        try
        {
            // Read chunk i+1 from the array while chunk i goes to the client.
            int n = (int)Math.Min(ChunkSize, size);
            if (n > 0) await nbd.ReadAsync(0, current.AsMemory(0, n), ct).ConfigureAwait(false);
            for (long offset = 0; offset < size;)
            {
                long nextOffset = offset + n;
                int m = (int)Math.Min(ChunkSize, size - nextOffset);
                var read = m > 0 ? nbd.ReadAsync(nextOffset, next.AsMemory(0, m), ct).AsTask() : Task.CompletedTask;
                await http.Response.Body.WriteAsync(current.AsMemory(0, n), ct).ConfigureAwait(false);
                await read.ConfigureAwait(false);
                (current, next) = (next, current);
                offset = nextOffset;
                n = m;
            }
            await http.Response.Body.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (http.Response.HasStarted && ex is not OperationCanceledException)
        {
            // Headers (with Content-Length) are out: the only honest signal left is a cut connection.
            LogStreamBroken(_logger, deviceId!, number, ex.Message);
            http.Abort();
        }
    }

    public async Task WriteInAsync(HttpContext http, string? deviceId, uint? volume)
    {
        var ct = http.RequestAborted;
        var (array, number, size) = await CheckAsync(deviceId, volume, ct).ConfigureAwait(false);
        long? declared = http.Request.ContentLength;
        if (declared is long d && d != size)
            Throw.Invalid("stream.bad_length",
                $"volume {number} of {deviceId} is {size} bytes; the body must be exactly that long, but Content-Length is {d}. Nothing was written.");
        // A volume is far above Kestrel's 30 MB default request limit; the size check above bounds it.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;

        var session = await OpenAsync(array, deviceId!, number, readOnly: false, ct).ConfigureAwait(false);
        await using var sessionLifetime = session.ConfigureAwait(false);
        var nbd = session.Client;
        if (nbd.IsReadOnly)
            Throw.Conflict("stream.read_only", $"{deviceId} volume {number} was assigned read-only (a snapshot?); data cannot be streamed into it");

        var buffer = new byte[ChunkSize];
        long offset = 0;
        while (true)
        {
            int filled = 0;
            while (filled < buffer.Length)
            {
                int r = await http.Request.Body.ReadAsync(buffer.AsMemory(filled), ct).ConfigureAwait(false);
                if (r == 0) break;
                filled += r;
            }
            if (filled == 0) break;
            if (offset + filled > size)
                Throw.Invalid("stream.too_long", $"the body is longer than volume {number}'s {size} bytes; the first {offset} bytes were written, the volume is not a complete copy");
            var chunk = buffer.AsMemory(0, filled);
            // All-zero chunks as WRITE_ZEROES: the array can keep them as holes.
            if (!chunk.Span.ContainsAnyExcept((byte)0)) await nbd.WriteZeroesAsync(offset, filled, ct: ct).ConfigureAwait(false);
            else await nbd.WriteAsync(offset, chunk, ct: ct).ConfigureAwait(false);
            offset += filled;
            if (filled < buffer.Length) break;
        }
        if (offset != size)
            Throw.Invalid("stream.short", $"the body ended after {offset} of volume {number}'s {size} bytes; the volume is not a complete copy");
        await nbd.FlushAsync(ct).ConfigureAwait(false);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task<(ArrayClient Array, uint Number, long Size)> CheckAsync(string? deviceId, uint? volume, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(deviceId))
            Throw.Invalid("stream.missing_device_id", "this route needs ?deviceId=D&volume=N (the array and the volume)");
        uint number = volume ?? 0;
        if (number == 0)
            Throw.Invalid("stream.missing_volume", "this route needs &volume=N, a volume number from 1");
        var array = runtime.ArrayFor(deviceId);
        var v = await array.GetVolumeAsync(number, ct).ConfigureAwait(false);
        return (array, number, v.Size);
    }

    /// <summary>Restore port lease → array assignment → NBD connection; disposing undoes them in reverse.</summary>
    private async Task<StreamSession> OpenAsync(ArrayClient array, string deviceId, uint number, bool readOnly, CancellationToken ct)
    {
        var lease = await runtime.AcquireRestorePortAsync(deviceId, ct).ConfigureAwait(false);
        string port = lease.Port.DataPortAddress.ToString();
        uint lun = checked((uint)lease.Port.Lun);
        var session = new StreamSession(this, array, lease, port, lun);
        try
        {
            // Only this agent may open the restore port's LUN while it holds it (when it has an NBD identity there).
            await array.AssignAsync(number, port, lun, readOnly, runtime.RestoreIdentitiesFor(deviceId), ct).ConfigureAwait(false);
            session.Assigned = true;
            await runtime.VerifyAssignedAsync(lease.Port, deviceId, number, ct).ConfigureAwait(false);
            session.Client = await NbdClient.ConnectAsync(lease.Port.DataPortAddress, lun.ToString(CultureInfo.InvariantCulture), runtime.NbdOptionsFor(deviceId), ct).ConfigureAwait(false);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private sealed class StreamSession(VolumeStreamHandler owner, ArrayClient array, RestorePortLease lease, string port, uint lun) : IAsyncDisposable
    {
        public bool Assigned { get; set; }
        public NbdClient Client { get; set; } = null!;

        public async ValueTask DisposeAsync()
        {
            // Not the request's token: a client that went away is exactly when the port must still be released.
            try
            {
                // A broken connection may fail its disconnect; the release below must still happen.
                if (Client is not null)
                    try { await Client.DisposeAsync().ConfigureAwait(false); }
                    catch (Exception ex) when (ex is IOException or SnapcatException or ObjectDisposedException) { }
                if (Assigned) await array.ReleaseAsync(port, lun, CancellationToken.None).ConfigureAwait(false);
            }
            catch (SnapcatException ex)
            {
                LogReleaseFailed(owner._logger, port, lun, ex.Message);
            }
            finally
            {
                lease.Dispose();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "stream of {DeviceId} volume {Volume} broken after the headers: {Reason}")]
    private static partial void LogStreamBroken(ILogger logger, string deviceId, uint volume, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "could not release restore port {Port} LUN {Lun} on the array: {Reason}; release it by hand ('snapcat array release')")]
    private static partial void LogReleaseFailed(ILogger logger, string port, uint lun, string reason);
}
