using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Server.Fuzzing;

/// <summary>
/// Fuzz targets: feed arbitrary bytes to one server connection over an in-memory stream. The
/// contract is "never throws, never hangs": whatever the bytes, the connection ends cleanly. The
/// test suite smoke-runs them with random and mutated inputs; an external fuzzer can call them too.
/// </summary>
public static class NbdFuzzTargets
{
    public const string ExportName = "fuzz";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    /// <summary>Bytes from the client's first byte on: client flags, then options.</summary>
    public static void Handshake(ReadOnlySpan<byte> input) => Run(input.ToArray());

    /// <summary>
    /// Bytes after a valid handshake (structured replies, base:allocation, GO on a 1 MiB export):
    /// the transmission phase's request parser and command handlers.
    /// </summary>
    public static void Transmission(ReadOnlySpan<byte> input)
    {
        var prefix = ValidHandshake();
        var all = new byte[prefix.Length + input.Length];
        prefix.CopyTo(all, 0);
        input.CopyTo(all.AsSpan(prefix.Length));
        Run(all);
    }

    private static void Run(byte[] script)
    {
        var stream = new ScriptedStream(script);
        var conn = new NbdConnection(stream, stream, new Catalog(), NullLogger.Instance, "fuzz", null, CancellationToken.None);
        var run = conn.RunAsync();
        if (!run.Wait(Deadline))
        {
            conn.Break();
            throw new TimeoutException("the NBD connection did not finish on a finite input");
        }
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

    private sealed class Catalog : INbdExportCatalog
    {
        public IReadOnlyList<NbdExportListing> List() => [new NbdExportListing(ExportName, "fuzz export")];

        public ValueTask<NbdExportHandle?> OpenAsync(string name, CancellationToken ct) =>
            ValueTask.FromResult(name == ExportName
                ? new NbdExportHandle(ExportName, "fuzz export", new MemoryBlockDevice(1 << 20), readOnly: false)
                : null);
    }
}
