using Snapcat.Core.Errors;
using Snapcat.Nbd.Client;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Tests.Client;

/// <summary>STARTTLS at the wire level, against a scripted server: what goes first, and answers real servers do not give.</summary>
public sealed class NbdClientStartTlsWireTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly NbdClientOptions Tls = new() { Tls = NbdClientTls.Psk("host1", new byte[32]) };

    [Fact]
    public async Task Starttls_is_the_first_option_and_err_unsup_means_no_tls_not_plain_text()
    {
        NbdOption? first = null;
        NbdOption? second = null;
        await using var server = FakeNbdServer.Start(async s =>
        {
            await FakeNbdServer.GreetAsync(s);
            (first, _) = await FakeNbdServer.ReadOptionAsync(s);
            await FakeNbdServer.ReplyAsync(s, first.Value, NbdOptionReplyType.ErrUnsup);
            // A downgrading client would now go on in plain text with STRUCTURED_REPLY or GO.
            var next = await Task.WhenAny(FakeNbdServer.ReadOptionAsync(s), Task.Delay(TimeSpan.FromSeconds(5)));
            if (next is Task<(NbdOption, byte[])> { IsCompletedSuccessfully: true } t) second = t.Result.Item1;
        });
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.ConnectAsync(server.Address, "0", Tls).WaitAsync(Deadline));
        Assert.Equal("nbd.tls_unavailable", ex.Code);
        Assert.Contains("does not offer TLS", ex.Message);
        Assert.Equal(NbdOption.StartTls, first);
        Assert.Null(second);
    }

    [Fact]
    public async Task A_reply_to_starttls_that_is_neither_ack_nor_error_is_a_protocol_error()
    {
        await using var server = FakeNbdServer.Start(async s =>
        {
            await FakeNbdServer.GreetAsync(s);
            var (opt, _) = await FakeNbdServer.ReadOptionAsync(s);
            await FakeNbdServer.ReplyAsync(s, opt, NbdOptionReplyType.Server, new byte[4]);
            await FakeNbdServer.UntilHangUpAsync(s);
        });
        var ex = await Assert.ThrowsAsync<NbdProtocolException>(() => NbdClient.ConnectAsync(server.Address, "0", Tls).WaitAsync(Deadline));
        Assert.Contains("STARTTLS", ex.Message);
    }

    [Fact]
    public async Task A_server_that_acks_starttls_and_then_speaks_plain_nbd_fails_the_tls_handshake()
    {
        await using var server = FakeNbdServer.Start(async s =>
        {
            await FakeNbdServer.GreetAsync(s);
            var (opt, _) = await FakeNbdServer.ReadOptionAsync(s);
            await FakeNbdServer.ReplyAsync(s, opt, NbdOptionReplyType.Ack);
            // Not a TLS ServerHello: an option reply in clear text.
            await FakeNbdServer.ReplyAsync(s, NbdOption.Go, NbdOptionReplyType.Ack);
            await FakeNbdServer.UntilHangUpAsync(s);
        });
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.ConnectAsync(server.Address, "0", Tls).WaitAsync(Deadline));
        Assert.Equal("nbd.tls_failed", ex.Code);
    }
}
