using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Snapcat.Core.Storage;
using Snapcat.Nbd.Protocol;
using Snapcat.Nbd.Server;
using Snapcat.Nbd.Tls;

namespace Snapcat.Fuzz.Nbd.Server;

/// <summary>
/// Fuzz targets: feed arbitrary bytes to one server connection over an in-memory stream. The
/// contract is "never throws, never hangs": whatever the bytes, the connection ends cleanly and no
/// request reaches the server's internal-error branch (an unexpected exception turned into EIO or a
/// closed connection — the server only logs it, so the target listens on
/// <see cref="NbdConnection.InternalError"/> and throws <see cref="NbdFuzzFailure"/>). The test suite
/// smoke-runs them with random and mutated inputs; an external fuzzer can call them too.
/// </summary>
public static class NbdFuzzTargets
{
    public const string ExportName = "fuzz";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    /// <summary>Bytes from the client's first byte on: client flags, then options.</summary>
    public static void Handshake(ReadOnlySpan<byte> input) => Run(input.ToArray(), DefaultDevice);

    /// <summary>
    /// As <see cref="Handshake"/> on a port with tls=require whose "TLS" is a pass-through (the bytes
    /// after STARTTLS's ACK go on in the clear, identity "fuzz"): the ERR_TLS_REQD gate, the STARTTLS
    /// state reset, a second STARTTLS and the identity-aware catalog calls, without a real handshake.
    /// </summary>
    public static void HandshakeRequireTls(ReadOnlySpan<byte> input) => Run(input.ToArray(), DefaultDevice, tls: true);

    /// <summary>
    /// Bytes after a valid handshake (structured replies, base:allocation, GO on a 1 MiB export):
    /// the transmission phase's request parser and command handlers.
    /// </summary>
    public static void Transmission(ReadOnlySpan<byte> input) => Transmission(input, DefaultDevice);

    /// <summary>As <see cref="Transmission(ReadOnlySpan{byte})"/> on a device of the caller's (a fault-injecting double).</summary>
    public static void Transmission(ReadOnlySpan<byte> input, Func<IBlockDevice> device)
    {
        var prefix = ValidHandshake();
        var all = new byte[prefix.Length + input.Length];
        prefix.CopyTo(all, 0);
        input.CopyTo(all.AsSpan(prefix.Length));
        Run(all, device);
    }

    private static IBlockDevice DefaultDevice() => new MemoryBlockDevice(1 << 20);

    private static void Run(byte[] script, Func<IBlockDevice> device, bool tls = false)
    {
        var stream = new ScriptedStream(script);
        var internalErrors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var conn = new NbdConnection(stream, stream, new Catalog(device), NullLogger.Instance, "fuzz", null, CancellationToken.None)
        {
            InternalError = internalErrors.Enqueue,
            TlsMode = tls ? NbdTlsMode.Require : NbdTlsMode.Off,
            TlsCredentials = tls ? new PassThroughTls() : null,
        };
        var run = conn.RunAsync();
        if (!run.Wait(Deadline))
        {
            conn.Break();
            throw new TimeoutException("the NBD connection did not finish on a finite input");
        }
        // RunAsync ends only after every request's reply was sent or dropped, so the queue is complete.
        if (!internalErrors.IsEmpty)
            throw new NbdFuzzFailure($"{internalErrors.Count} request(s) reached the NBD server's internal-error branch",
                new AggregateException(internalErrors));
    }

    /// <summary>Client flags, STRUCTURED_REPLY, SET_META_CONTEXT(base:allocation), GO — what nbdinfo --map sends.</summary>
    public static byte[] ValidHandshake()
    {
        var ms = new MemoryStream();
        void U32(uint v) { Span<byte> x = stackalloc byte[4]; BinaryPrimitives.WriteUInt32BigEndian(x, v); ms.Write(x); }
        void Option(NbdOption o, byte[] data)
        {
            Span<byte> h = stackalloc byte[NbdOptionRequest.Size];
            new NbdOptionRequest((uint)o, (uint)data.Length).Write(h);
            ms.Write(h);
            ms.Write(data);
        }
        U32((uint)(NbdClientFlags.FixedNewstyle | NbdClientFlags.NoZeroes));
        Option(NbdOption.StructuredReply, []);
        var name = Encoding.ASCII.GetBytes(ExportName);
        var query = Encoding.ASCII.GetBytes(NbdLimits.BaseAllocation);
        var meta = new byte[4 + name.Length + 4 + 4 + query.Length];
        BinaryPrimitives.WriteUInt32BigEndian(meta, (uint)name.Length);
        name.CopyTo(meta, 4);
        BinaryPrimitives.WriteUInt32BigEndian(meta.AsSpan(4 + name.Length), 1);
        BinaryPrimitives.WriteUInt32BigEndian(meta.AsSpan(8 + name.Length), (uint)query.Length);
        query.CopyTo(meta, 12 + name.Length);
        Option(NbdOption.SetMetaContext, meta);
        var go = new byte[4 + name.Length + 2];
        BinaryPrimitives.WriteUInt32BigEndian(go, (uint)name.Length);
        name.CopyTo(go, 4);
        Option(NbdOption.Go, go);
        return ms.ToArray();
    }

    /// <summary>Client flags, STARTTLS, then <see cref="ValidHandshake"/>'s options: a valid script for <see cref="HandshakeRequireTls"/>.</summary>
    public static byte[] ValidTlsHandshake()
    {
        var plain = ValidHandshake();
        var starttls = new byte[NbdOptionRequest.Size];
        new NbdOptionRequest((uint)NbdOption.StartTls, 0).Write(starttls);
        return [.. plain.AsSpan(0, 4), .. starttls, .. plain.AsSpan(4)];
    }

    private sealed class PassThroughTls : INbdTlsServerCredentials
    {
        public string Kind => "fuzz";

        public Task<NbdTlsSession> AuthenticateAsync(Stream transport, CancellationToken ct) =>
            Task.FromResult(new NbdTlsSession(transport, "fuzz", "pass-through"));
    }

    private sealed class Catalog(Func<IBlockDevice> device) : INbdExportCatalog
    {
        public IReadOnlyList<NbdExportListing> List() => [new NbdExportListing(ExportName, "fuzz export")];

        public ValueTask<NbdExportHandle?> OpenAsync(string name, CancellationToken ct) =>
            ValueTask.FromResult(name == ExportName
                ? new NbdExportHandle(ExportName, "fuzz export", device(), readOnly: false)
                : null);
    }
}
