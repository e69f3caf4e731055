using System.Buffers.Binary;
using System.Text;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Tests.Server;

/// <summary>Wire-level behaviour that real clients do not exercise: option errors, command errors, pipelining.</summary>
public sealed class NbdServerProtocolTests : IAsyncLifetime
{
    private FileExportHost _host = null!;

    public async Task InitializeAsync() => _host = await FileExportHost.StartAsync(1 << 20, 1 << 20, withReadOnly: true);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Greeting_offers_fixed_newstyle_and_no_zeroes()
    {
        await using var p = await RawNbdPeer.ConnectAsync(_host.Port);
        Assert.Equal(3, await p.GreetAsync());
    }

    [Fact]
    public async Task Unknown_and_malformed_options_get_errors_and_haggling_continues()
    {
        await using var p = await RawNbdPeer.ConnectAsync(_host.Port);
        await p.GreetAsync();

        await p.SendOptionAsync(99, new byte[10]);
        var (h, _) = await p.ReadOptionReplyAsync();
        Assert.Equal((99u, NbdOptionReplyType.ErrUnsup), (h.Option, h.Type));

        await p.SendOptionAsync((uint)NbdOption.ExtendedHeaders, []);
        Assert.Equal(NbdOptionReplyType.ErrUnsup, (await p.ReadOptionReplyAsync()).Header.Type);

        await p.SendOptionAsync((uint)NbdOption.List, [1]);
        Assert.Equal(NbdOptionReplyType.ErrInvalid, (await p.ReadOptionReplyAsync()).Header.Type);

        await p.SendOptionAsync((uint)NbdOption.StartTls, []);
        Assert.Equal(NbdOptionReplyType.ErrPolicy, (await p.ReadOptionReplyAsync()).Header.Type);

        var bad = RawNbdPeer.GoData("1", NbdInfoType.BlockSize);
        await p.SendOptionAsync((uint)NbdOption.Info, bad[..^1]);  // count says one request, one byte missing
        Assert.Equal(NbdOptionReplyType.ErrInvalid, (await p.ReadOptionReplyAsync()).Header.Type);

        await p.SendOptionAsync((uint)NbdOption.Go, RawNbdPeer.GoData("nope"));
        Assert.Equal(NbdOptionReplyType.ErrUnknown, (await p.ReadOptionReplyAsync()).Header.Type);

        await p.SendOptionAsync((uint)NbdOption.SetMetaContext, MetaData("1", NbdLimits.BaseAllocation));
        Assert.Equal(NbdOptionReplyType.ErrInvalid, (await p.ReadOptionReplyAsync()).Header.Type);  // structured replies first

        // Too large to buffer but small enough to drain: ERR_TOO_BIG, and the stream stays in sync.
        await p.SendOptionAsync(42, new byte[NbdLimits.MaxOptionLength + 1]);
        Assert.Equal(NbdOptionReplyType.ErrTooBig, (await p.ReadOptionReplyAsync()).Header.Type);

        await p.SendOptionAsync((uint)NbdOption.List, []);
        var names = new List<string>();
        while (true)
        {
            var (r, d) = await p.ReadOptionReplyAsync();
            if (r.Type == NbdOptionReplyType.Ack) break;
            Assert.Equal(NbdOptionReplyType.Server, r.Type);
            int n = (int)BinaryPrimitives.ReadUInt32BigEndian(d);
            names.Add(Encoding.UTF8.GetString(d, 4, n));
            Assert.Equal(_host.DescriptionOf(names[^1]), Encoding.UTF8.GetString(d, 4 + n, d.Length - 4 - n));
        }
        Assert.Equal(["1", "2"], names);

        await p.SendOptionAsync((uint)NbdOption.Abort, []);
        Assert.Equal(NbdOptionReplyType.Ack, (await p.ReadOptionReplyAsync()).Header.Type);
        Assert.True(await p.IsClosedByServerAsync());
    }

    [Fact]
    public async Task Meta_context_queries_follow_the_base_namespace_rules()
    {
        await using var p = await RawNbdPeer.ConnectAsync(_host.Port);
        await p.GreetAsync();
        await p.SendOptionAsync((uint)NbdOption.StructuredReply, []);
        Assert.Equal(NbdOptionReplyType.Ack, (await p.ReadOptionReplyAsync()).Header.Type);

        Assert.Equal([(0u, "base:allocation")], await MetaAsync(p, NbdOption.ListMetaContext, "1"));
        Assert.Equal([(0u, "base:allocation")], await MetaAsync(p, NbdOption.ListMetaContext, "1", "base:"));
        Assert.Empty(await MetaAsync(p, NbdOption.ListMetaContext, "1", "qemu:dirty-bitmap:x", "base:nothing"));
        Assert.Empty(await MetaAsync(p, NbdOption.SetMetaContext, "1", "base:"));
        Assert.Equal([(1u, "base:allocation")], await MetaAsync(p, NbdOption.SetMetaContext, "1", "x-foo:bar", "base:allocation"));

        await p.SendOptionAsync((uint)NbdOption.ListMetaContext, MetaData("missing"));
        Assert.Equal(NbdOptionReplyType.ErrUnknown, (await p.ReadOptionReplyAsync()).Header.Type);
        var truncated = MetaData("1", "base:allocation");
        await p.SendOptionAsync((uint)NbdOption.ListMetaContext, truncated[..^3]);
        Assert.Equal(NbdOptionReplyType.ErrInvalid, (await p.ReadOptionReplyAsync()).Header.Type);
    }

    [Fact]
    public async Task Export_name_answers_size_and_flags_or_closes_for_an_unknown_export()
    {
        await using (var p = await RawNbdPeer.ConnectAsync(_host.Port))
        {
            await p.GreetAsync(clientFlags: 1);  // no NO_ZEROES: 124 zero bytes follow
            await p.SendOptionAsync((uint)NbdOption.ExportName, Encoding.UTF8.GetBytes("2"));
            var r = await p.ReadAsync(134);
            Assert.Equal(1UL << 20, BinaryPrimitives.ReadUInt64BigEndian(r));
            var flags = (NbdTransmissionFlags)BinaryPrimitives.ReadUInt16BigEndian(r.AsSpan(8));
            Assert.True(flags.HasFlag(NbdTransmissionFlags.HasFlags | NbdTransmissionFlags.SendFlush | NbdTransmissionFlags.SendTrim));
            Assert.False(flags.HasFlag(NbdTransmissionFlags.SendDf));  // no structured replies negotiated
            Assert.All(r[10..], b => Assert.Equal(0, b));
            await p.SendRequestAsync(NbdCommand.Read, 7, 0, 512);
            var reply = await p.ReadReplyAsync(512);
            Assert.Equal((7UL, NbdError.None, false), (reply.Cookie, reply.Error, reply.Structured));
        }
        await using (var p = await RawNbdPeer.ConnectAsync(_host.Port))
        {
            await p.GreetAsync();
            await p.SendOptionAsync((uint)NbdOption.ExportName, Encoding.UTF8.GetBytes("nope"));
            Assert.True(await p.IsClosedByServerAsync());
        }
    }

    [Fact]
    public async Task Read_only_export_refuses_writes_with_eperm()
    {
        await using var p = await RawNbdPeer.ConnectAsync(_host.Port);
        var (_, flags) = await p.GoAsync("ro");
        Assert.True(flags.HasFlag(NbdTransmissionFlags.ReadOnly));
        await p.SendRequestAsync(NbdCommand.Write, 1, 0, 512, new byte[512]);
        Assert.Equal(NbdError.Perm, (await p.ReadReplyAsync()).Error);
        await p.SendRequestAsync(NbdCommand.Trim, 2, 0, 4096);
        Assert.Equal(NbdError.Perm, (await p.ReadReplyAsync()).Error);
        await p.SendRequestAsync(NbdCommand.WriteZeroes, 3, 0, 4096);
        Assert.Equal(NbdError.Perm, (await p.ReadReplyAsync()).Error);
        await p.SendRequestAsync(NbdCommand.Read, 4, 0, 512);
        Assert.Equal(NbdError.None, (await p.ReadReplyAsync(512)).Error);
    }

    [Fact]
    public async Task Bad_requests_get_the_errors_of_section_9_and_the_stream_stays_in_sync()
    {
        await using var p = await RawNbdPeer.ConnectAsync(_host.Port);
        var (size, flags) = await p.GoAsync("1", structured: true);
        Assert.True(flags.HasFlag(NbdTransmissionFlags.SendDf | NbdTransmissionFlags.CanMultiConn));

        await p.SendRequestAsync(NbdCommand.Read, 1, size - 100, 512);
        var r = await p.ReadReplyAsync();
        Assert.Equal((1UL, NbdError.Invalid, NbdReplyChunkType.Error), (r.Cookie, r.Error, r.Type));

        await p.SendRequestAsync(NbdCommand.Write, 2, size - 100, 512, new byte[512]);
        Assert.Equal(NbdError.NoSpace, (await p.ReadReplyAsync()).Error);
        await p.SendRequestAsync(NbdCommand.WriteZeroes, 3, ulong.MaxValue - 10, 512);  // overflowing offset + length
        Assert.Equal(NbdError.NoSpace, (await p.ReadReplyAsync()).Error);
        await p.SendRequestAsync(NbdCommand.Trim, 4, size, 1);
        Assert.Equal(NbdError.Invalid, (await p.ReadReplyAsync()).Error);
        await p.SendRequestAsync(NbdCommand.Read, 5, 0, 512, rawType: 42);
        Assert.Equal(NbdError.Invalid, (await p.ReadReplyAsync()).Error);
        await p.SendRequestAsync(NbdCommand.Write, 6, 0, 512, new byte[512], flags: NbdCommandFlags.ReqOne);
        Assert.Equal(NbdError.Invalid, (await p.ReadReplyAsync()).Error);
        await p.SendRequestAsync(NbdCommand.BlockStatus, 7, 0, 4096);  // no context selected
        Assert.Equal(NbdError.Invalid, (await p.ReadReplyAsync()).Error);

        var data = Encoding.ASCII.GetBytes(new string('x', 4096));
        await p.SendRequestAsync(NbdCommand.Write, 8, 8192, 4096, data, NbdCommandFlags.Fua);
        Assert.Equal(NbdError.None, (await p.ReadReplyAsync()).Error);
        await p.SendRequestAsync(NbdCommand.Flush, 9, 0, 0);
        Assert.Equal(NbdError.None, (await p.ReadReplyAsync()).Error);
        await p.SendRequestAsync(NbdCommand.Read, 10, 8192, 4096, flags: NbdCommandFlags.DontFragment);
        r = await p.ReadReplyAsync();
        Assert.Equal((10UL, NbdReplyChunkType.OffsetData), (r.Cookie, r.Type));
        Assert.Equal(8192UL, BinaryPrimitives.ReadUInt64BigEndian(r.Payload));
        Assert.Equal(data, r.Payload[8..]);
    }

    [Fact]
    public async Task Block_status_reports_holes_and_honours_req_one()
    {
        var dev = _host.Device("2");
        await dev.WriteAsync(64 << 10, new byte[64 << 10].Select(_ => (byte)1).ToArray());
        await using var p = await RawNbdPeer.ConnectAsync(_host.Port);
        await p.GreetAsync();
        await p.SendOptionAsync((uint)NbdOption.StructuredReply, []);
        await p.ReadOptionReplyAsync();
        Assert.Single(await MetaAsync(p, NbdOption.SetMetaContext, "2", NbdLimits.BaseAllocation));
        await p.SendOptionAsync((uint)NbdOption.Go, RawNbdPeer.GoData("2"));
        while ((await p.ReadOptionReplyAsync()).Header.Type != NbdOptionReplyType.Ack) { }

        await p.SendRequestAsync(NbdCommand.BlockStatus, 1, 0, 256 << 10);
        var r = await p.ReadReplyAsync();
        Assert.Equal(NbdReplyChunkType.BlockStatus, r.Type);
        var ext = Extents(r.Payload);
        Assert.Equal((64u << 10, 3u), ext[0]);
        Assert.Equal((64u << 10, 0u), ext[1]);
        Assert.Equal(256u << 10, (uint)ext.Sum(e => e.Length));

        await p.SendRequestAsync(NbdCommand.BlockStatus, 2, 0, 256 << 10, flags: NbdCommandFlags.ReqOne);
        Assert.Equal([(64u << 10, 3u)], Extents((await p.ReadReplyAsync()).Payload));
    }

    [Fact]
    public async Task Pipelined_requests_are_all_answered_by_cookie()
    {
        var dev = _host.Device("1");
        var content = new byte[1 << 20];
        Random.Shared.NextBytes(content);
        await dev.WriteAsync(0, content);
        await using var p = await RawNbdPeer.ConnectAsync(_host.Port);
        await p.GoAsync("1", structured: true);
        const int n = 64;  // more than the server's in-flight bound: back-pressure must not deadlock
        for (int i = 0; i < n; i++) await p.SendRequestAsync(NbdCommand.Read, (ulong)(1000 + i), (ulong)(i * 16384), 16384);
        var seen = new HashSet<ulong>();
        for (int i = 0; i < n; i++)
        {
            var r = await p.ReadReplyAsync();
            Assert.Equal(NbdReplyChunkType.OffsetData, r.Type);
            int idx = (int)(r.Cookie - 1000);
            Assert.Equal(content.AsSpan(idx * 16384, 16384).ToArray(), r.Payload[8..]);
            Assert.True(seen.Add(r.Cookie));
        }
        Assert.Equal(1, _host.Server.ConnectionsTo("1"));
    }

    private static List<(uint Length, uint Flags)> Extents(byte[] payload)
    {
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(payload));
        var list = new List<(uint, uint)>();
        for (int i = 4; i < payload.Length; i += 8)
            list.Add((BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(i)), BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(i + 4))));
        return list;
    }

    private static async Task<List<(uint Id, string Name)>> MetaAsync(RawNbdPeer p, NbdOption option, string export, params string[] queries)
    {
        await p.SendOptionAsync((uint)option, MetaData(export, queries));
        var list = new List<(uint, string)>();
        while (true)
        {
            var (h, d) = await p.ReadOptionReplyAsync();
            if (h.Type == NbdOptionReplyType.Ack) return list;
            Assert.Equal(NbdOptionReplyType.MetaContext, h.Type);
            list.Add((BinaryPrimitives.ReadUInt32BigEndian(d), Encoding.UTF8.GetString(d, 4, d.Length - 4)));
        }
    }

    internal static byte[] MetaData(string export, params string[] queries)
    {
        var ms = new MemoryStream();
        void Str(string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            Span<byte> l = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(l, (uint)b.Length);
            ms.Write(l);
            ms.Write(b);
        }
        Str(export);
        Span<byte> c = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(c, (uint)queries.Length);
        ms.Write(c);
        foreach (var q in queries) Str(q);
        return ms.ToArray();
    }
}
