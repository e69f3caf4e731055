using System.Collections.Concurrent;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Fuzz.Nbd.Client;

/// <summary>
/// Fuzz targets: feed arbitrary server bytes through the client's real parsers. Each may only end
/// normally or with <see cref="NbdProtocolException"/> / an <see cref="IOException"/> (truncation);
/// anything else — or a hang — is a bug. Smoke-run by the tests; usable by an external fuzzer.
/// </summary>
public static class NbdClientFuzz
{
    private static readonly NbdAddress FuzzAddress = new("fuzz", 0);

    /// <summary>
    /// Transmission-phase replies. Byte 0 selects simple-only (even) or structured (odd) mode; the rest
    /// is the reply stream for four requests in flight: READ 4096@0 (cookie 1), READ 512@8192
    /// (cookie 2), BLOCK_STATUS 1 MiB@0 (cookie 3, context 1), WRITE (cookie 4).
    /// </summary>
    public static void ParseReplies(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return;
        bool structured = (data[0] & 1) != 0;
        var pending = new ConcurrentDictionary<ulong, NbdPendingRequest>();
        pending[1] = new NbdPendingRequest(NbdCommand.Read, 1, 0, 4096, new byte[4096]);
        pending[2] = new NbdPendingRequest(NbdCommand.Read, 2, 8192, 512, new byte[512]);
        pending[3] = new NbdPendingRequest(NbdCommand.BlockStatus, 3, 0, 1 << 20);
        pending[4] = new NbdPendingRequest(NbdCommand.Write, 4, 0, 512);
        var reader = new NbdReplyReader(new MemoryStream(data[1..].ToArray(), writable: false), pending, structured, 1, FuzzAddress);
        // Every iteration consumes at least four bytes or ends, so this loop terminates.
        while (reader.ReadOneAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult()) { }
    }

    /// <summary>The handshake as ConnectAsync runs it (greeting, structured replies, meta context, GO), from arbitrary server bytes.</summary>
    public static void ParseHandshake(ReadOnlySpan<byte> data)
    {
        using var stream = new ScriptedServer(data.ToArray());
        var ch = NbdOptionChannel.GreetAsync(stream, FuzzAddress, CancellationToken.None).GetAwaiter().GetResult();
        try
        {
            NbdHandshake.NegotiateAsync(ch, "fuzz", new NbdClientOptions(), CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Core.Errors.SnapcatException ex) when (ex is not NbdProtocolException)
        {
            // A refused option (unknown export, policy…) is a well-formed answer, not a parser failure.
        }
    }

    /// <summary>A server that says its script and swallows whatever the client sends.</summary>
    private sealed class ScriptedServer(byte[] script) : MemoryStream(script, writable: false)
    {
        public override bool CanWrite => true;
        public override void Write(byte[] buffer, int offset, int count) { }
        public override void Write(ReadOnlySpan<byte> buffer) { }
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.CompletedTask;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
        public override void Flush() { }
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
