using System.Buffers.Binary;
using System.Text;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Client;

/// <summary>One option reply (§3.4): the echoed option, the reply type and its data.</summary>
internal readonly record struct NbdOptionReply(NbdOption Option, NbdOptionReplyType Type, byte[] Data)
{
    public bool IsError => ((uint)Type & 0x80000000u) != 0;

    /// <summary>Error replies may carry a human-readable UTF-8 message as their data.</summary>
    public string Message => Data.Length == 0 ? "" : Encoding.UTF8.GetString(Data, 0, Math.Min(Data.Length, NbdLimits.MaxStringLength));
}

/// <summary>
/// The handshake side of a connection: sends options and reads their replies strictly in turn
/// (a client must not send an option before the final reply of the previous one, §3.3).
/// </summary>
internal sealed class NbdOptionChannel(Stream stream, NbdAddress address, bool noZeroes)
{
    public Stream Stream { get; } = stream;
    public NbdAddress Address { get; } = address;

    /// <summary>Both sides agreed to drop the 124 zero bytes after EXPORT_NAME (§3.2).</summary>
    public bool NoZeroes { get; } = noZeroes;

    /// <summary>True once NBD_OPT_STARTTLS succeeded and <see cref="Stream"/> is the TLS stream.</summary>
    public bool IsTls { get; init; }

    // Greeting (§3.1), 18 bytes:
    //   0  u64  "NBDMAGIC"
    //   8  u64  "IHAVEOPT"
    //  16  u16  handshake flags
    // answered by the client flags, u32 (§3.2).
    public static async Task<NbdOptionChannel> GreetAsync(Stream stream, NbdAddress address, CancellationToken ct)
    {
        var g = new byte[18];
        await stream.ReadExactlyAsync(g, ct).ConfigureAwait(false);
        ulong magic = BinaryPrimitives.ReadUInt64BigEndian(g);
        if (magic != NbdMagic.NbdMagicInit)
            throw new NbdProtocolException($"{address} is not an nbd server: greeting starts 0x{magic:x16}, expected NBDMAGIC");
        ulong style = BinaryPrimitives.ReadUInt64BigEndian(g.AsSpan(8));
        if (style != NbdMagic.IHaveOpt)
            throw new NbdProtocolException($"nbd server at {address} speaks the obsolete oldstyle handshake (0x{style:x16}); fixed newstyle is required");
        var flags = (NbdHandshakeFlags)BinaryPrimitives.ReadUInt16BigEndian(g.AsSpan(16));
        if ((flags & NbdHandshakeFlags.FixedNewstyle) == 0)
            throw new NbdProtocolException($"nbd server at {address} does not offer fixed newstyle negotiation (flags 0x{(ushort)flags:x4})");

        // Echo only what the server offered: setting NO_ZEROES unoffered makes it hang up (§3.2).
        bool noZeroes = (flags & NbdHandshakeFlags.NoZeroes) != 0;
        var cflags = NbdClientFlags.FixedNewstyle | (noZeroes ? NbdClientFlags.NoZeroes : 0);
        var reply = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(reply, (uint)cflags);
        await stream.WriteAsync(reply, ct).ConfigureAwait(false);
        return new NbdOptionChannel(stream, address, noZeroes);
    }

    // Option request (§3.3): u64 "IHAVEOPT", u32 option, u32 length, data.
    public async Task SendAsync(NbdOption option, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var buf = new byte[16 + data.Length];
        BinaryPrimitives.WriteUInt64BigEndian(buf, NbdMagic.IHaveOpt);
        BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(8), (uint)option);
        BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(12), (uint)data.Length);
        data.Span.CopyTo(buf.AsSpan(16));
        await Stream.WriteAsync(buf, ct).ConfigureAwait(false);
        await Stream.FlushAsync(ct).ConfigureAwait(false);
    }

    // Option reply (§3.4), 20-byte header:
    //   0  u64  0x0003e889045565a9
    //   8  u32  option being answered (echo)
    //  12  u32  reply type
    //  16  u32  data length
    //  20  ...  data
    public async Task<NbdOptionReply> ReadReplyAsync(NbdOption option, CancellationToken ct)
    {
        var h = new byte[20];
        await Stream.ReadExactlyAsync(h, ct).ConfigureAwait(false);
        var (type, length) = ParseReplyHeader(h, option, Address);
        var data = new byte[length];
        await Stream.ReadExactlyAsync(data, ct).ConfigureAwait(false);
        return new NbdOptionReply(option, type, data);
    }

    internal static (NbdOptionReplyType Type, int Length) ParseReplyHeader(ReadOnlySpan<byte> h, NbdOption option, NbdAddress address)
    {
        ulong magic = BinaryPrimitives.ReadUInt64BigEndian(h);
        if (magic != NbdMagic.OptionReply)
            throw new NbdProtocolException($"nbd server at {address} sent an option reply with bad magic 0x{magic:x16}");
        uint echoed = BinaryPrimitives.ReadUInt32BigEndian(h[8..]);
        if (echoed != (uint)option)
            throw new NbdProtocolException($"nbd server at {address} answered option {echoed} while option {(uint)option} ({option}) was pending");
        var type = (NbdOptionReplyType)BinaryPrimitives.ReadUInt32BigEndian(h[12..]);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(h[16..]);
        // Checked before buffering: a hostile length must not make us allocate gigabytes.
        if (length > NbdLimits.MaxOptionLength)
            throw new NbdProtocolException($"nbd server at {address} sent a {length}-byte reply to {option}; the limit is {NbdLimits.MaxOptionLength}");
        if (type == NbdOptionReplyType.Ack && length != 0)
            throw new NbdProtocolException($"nbd server at {address} sent an ACK to {option} with {length} data bytes (must be empty)");
        return (type, (int)length);
    }
}
