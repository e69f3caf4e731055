using System.Security.Cryptography.X509Certificates;
using Snapcat.Nbd.Protocol;
using Snapcat.Nbd.Server;
using Snapcat.Nbd.Tls;
using Snapcat.TestKit;

namespace Snapcat.Nbd.Tests.Server;

/// <summary>
/// STARTTLS at the wire level (spec §3.12), with a raw client that switches to .NET's TLS client after
/// the ACK: what libnbd and qemu never send (a second STARTTLS, bytes pipelined behind STARTTLS, a
/// stalled TLS handshake) and the mode rules (require answers ERR_TLS_REQD, allow serves both).
/// </summary>
public sealed class NbdServerTlsTests : IDisposable
{
    private readonly TempDir _dir = new("nbd-tls");
    private readonly NbdTlsFiles _pki;
    private readonly X509TlsServerCredentials _credentials;

    public NbdServerTlsTests()
    {
        _pki = NbdTlsFiles.CreateCa(_dir.Combine("pki"));
        var (cert, key) = _pki.IssueServer();
        _credentials = X509TlsServerCredentials.FromPemFiles(cert, key, clientCaFile: null);
    }

    public void Dispose()
    {
        _credentials.Dispose();
        _pki.Dispose();
        _dir.Dispose();
    }

    private Task<FileExportHost> StartAsync(NbdTlsMode mode, TimeSpan? handshakeTimeout = null) =>
        FileExportHost.StartAsync(1 << 20, limits: (ep, catalog) => new NbdServer(ep, catalog)
        {
            TlsMode = mode,
            TlsCredentials = _credentials,
            HandshakeTimeout = handshakeTimeout ?? NbdServer.DefaultHandshakeTimeout,
        });

    private bool TrustTestCa(object sender, X509Certificate? certificate, X509Chain? chain, System.Net.Security.SslPolicyErrors errors)
    {
        if (certificate is null) return false;
        using var c = new X509Chain();
        c.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        c.ChainPolicy.CustomTrustStore.Add(_pki.Ca);
        c.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return c.Build(new X509Certificate2(certificate));
    }

    private async Task StartTlsAsync(RawNbdPeer p)
    {
        await p.SendOptionAsync((uint)NbdOption.StartTls, []);
        var (h, d) = await p.ReadOptionReplyAsync();
        Assert.Equal((NbdOptionReplyType.Ack, 0), (h.Type, d.Length));
        await p.UpgradeToTlsAsync(TrustTestCa);
    }

    [Fact]
    public async Task Require_mode_answers_every_option_before_starttls_with_tls_reqd_then_serves_inside_tls()
    {
        await using var host = await StartAsync(NbdTlsMode.Require);
        await using var p = await RawNbdPeer.ConnectAsync(host.Port);
        await p.GreetAsync();
        foreach (var (option, data) in new (NbdOption, byte[])[]
        {
            (NbdOption.List, []), (NbdOption.Go, RawNbdPeer.GoData("1")), (NbdOption.Info, RawNbdPeer.GoData("1")),
            (NbdOption.StructuredReply, []), (NbdOption.ListMetaContext, []), ((NbdOption)99, [1, 2]),
        })
        {
            await p.SendOptionAsync((uint)option, data);
            var (h, _) = await p.ReadOptionReplyAsync();
            Assert.Equal(((uint)option, NbdOptionReplyType.ErrTlsReqd), (h.Option, h.Type));
        }

        await StartTlsAsync(p);
        await p.SendOptionAsync((uint)NbdOption.List, []);
        var names = new List<string>();
        while (true)
        {
            var (h, d) = await p.ReadOptionReplyAsync();
            if (h.Type == NbdOptionReplyType.Ack) break;
            Assert.Equal(NbdOptionReplyType.Server, h.Type);
            names.Add(System.Text.Encoding.UTF8.GetString(d, 4, (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(d)));
        }
        Assert.Equal(["1", "2"], names);

        // §3.12: a second STARTTLS inside TLS is ERR_INVALID, and haggling goes on.
        await p.SendOptionAsync((uint)NbdOption.StartTls, []);
        Assert.Equal(NbdOptionReplyType.ErrInvalid, (await p.ReadOptionReplyAsync()).Header.Type);

        await p.SendOptionAsync((uint)NbdOption.Go, RawNbdPeer.GoData("1"));
        NbdOptionReplyType last;
        do last = (await p.ReadOptionReplyAsync()).Header.Type; while (last == NbdOptionReplyType.Info);
        Assert.Equal(NbdOptionReplyType.Ack, last);
        var payload = new byte[4096];
        Random.Shared.NextBytes(payload);
        await p.SendRequestAsync(NbdCommand.Write, 1, 8192, 4096, payload);
        Assert.Equal(NbdError.None, (await p.ReadReplyAsync()).Error);
        await p.SendRequestAsync(NbdCommand.Read, 2, 8192, 4096);
        Assert.Equal(payload, (await p.ReadReplyAsync(4096)).Payload);
    }

    [Fact]
    public async Task Require_mode_closes_on_export_name_before_tls_and_abort_is_still_acked()
    {
        await using var host = await StartAsync(NbdTlsMode.Require);
        await using (var p = await RawNbdPeer.ConnectAsync(host.Port))
        {
            await p.GreetAsync();
            await p.SendOptionAsync((uint)NbdOption.ExportName, "1"u8.ToArray());
            Assert.True(await p.IsClosedByServerAsync());
        }
        await using (var p = await RawNbdPeer.ConnectAsync(host.Port))
        {
            await p.GreetAsync();
            await p.SendOptionAsync((uint)NbdOption.Abort, []);
            Assert.Equal(NbdOptionReplyType.Ack, (await p.ReadOptionReplyAsync()).Header.Type);
        }
        Assert.Equal(0, host.Server.ConnectionsTo("1"));
    }

    [Fact]
    public async Task Allow_mode_serves_plain_clients_and_tls_forgets_what_was_negotiated_before()
    {
        await using var host = await StartAsync(NbdTlsMode.Allow);
        await using var p = await RawNbdPeer.ConnectAsync(host.Port);
        await p.GreetAsync();
        await p.SendOptionAsync((uint)NbdOption.StructuredReply, []);
        Assert.Equal(NbdOptionReplyType.Ack, (await p.ReadOptionReplyAsync()).Header.Type);
        await StartTlsAsync(p);
        // Structured replies were agreed in the clear; after STARTTLS they are forgotten, so the
        // export's flags no longer offer DF (which needs structured replies).
        await p.SendOptionAsync((uint)NbdOption.Go, RawNbdPeer.GoData("1"));
        NbdTransmissionFlags flags = 0;
        while (true)
        {
            var (h, d) = await p.ReadOptionReplyAsync();
            if (h.Type == NbdOptionReplyType.Ack) break;
            if (System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(d) == (ushort)NbdInfoType.Export)
                flags = (NbdTransmissionFlags)System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(10));
        }
        Assert.True(flags.HasFlag(NbdTransmissionFlags.HasFlags));
        Assert.False(flags.HasFlag(NbdTransmissionFlags.SendDf));

        // And a plain client of the same port gets in without TLS.
        await using var plain = await RawNbdPeer.ConnectAsync(host.Port);
        var (size, _) = await plain.GoAsync("1");
        Assert.Equal(1UL << 20, size);
    }

    [Fact]
    public async Task Bytes_pipelined_behind_starttls_close_the_connection_instead_of_entering_tls()
    {
        await using var host = await StartAsync(NbdTlsMode.Require);
        await using var p = await RawNbdPeer.ConnectAsync(host.Port);
        await p.GreetAsync();
        var starttls = new byte[NbdOptionRequest.Size];
        new NbdOptionRequest((uint)NbdOption.StartTls, 0).Write(starttls);
        var list = new byte[NbdOptionRequest.Size];
        new NbdOptionRequest((uint)NbdOption.List, 0).Write(list);
        await p.SendAsync([.. starttls, .. list]);  // one write: both arrive before the server answers
        Assert.True(await p.IsClosedByServerAsync());
    }

    [Fact]
    public async Task The_handshake_deadline_covers_a_client_that_stalls_in_the_tls_handshake()
    {
        await using var host = await StartAsync(NbdTlsMode.Require, TimeSpan.FromSeconds(2));
        await using var p = await RawNbdPeer.ConnectAsync(host.Port);
        await p.GreetAsync();
        await p.SendOptionAsync((uint)NbdOption.StartTls, []);
        Assert.Equal(NbdOptionReplyType.Ack, (await p.ReadOptionReplyAsync()).Header.Type);
        // No ClientHello follows: the server must not wait forever.
        Assert.True(await p.IsClosedByServerAsync());
        await Poll.UntilAsync(() => host.Server.ConnectionCount == 0, TimeSpan.FromSeconds(30), "the stalled connection to go");
    }

    [Fact]
    public async Task Off_mode_still_answers_starttls_with_err_policy_and_never_tls_reqd()
    {
        await using var host = await StartAsync(NbdTlsMode.Off);
        await using var p = await RawNbdPeer.ConnectAsync(host.Port);
        await p.GreetAsync();
        await p.SendOptionAsync((uint)NbdOption.StartTls, []);
        Assert.Equal(NbdOptionReplyType.ErrPolicy, (await p.ReadOptionReplyAsync()).Header.Type);
        await p.SendOptionAsync((uint)NbdOption.List, []);
        Assert.Equal(NbdOptionReplyType.Server, (await p.ReadOptionReplyAsync()).Header.Type);
    }
}
