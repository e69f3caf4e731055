using Snapcat.Nbd.Protocol;
using Snapcat.TestKit;

namespace Snapcat.Nbd.Tests.Server;

/// <summary>
/// Crafted bytes from raw sockets: the server must drop each offender once and keep serving a
/// well-behaved client that reads and checks data the whole time.
/// </summary>
public sealed class NbdServerHostilePeerTests
{
    [Fact]
    public async Task Garbage_truncated_and_oversized_packets_do_not_disturb_another_client()
    {
        await using var host = await FileExportHost.StartAsync(4 << 20);
        var content = new byte[4 << 20];
        Random.Shared.NextBytes(content);
        await host.Device("1").WriteAsync(0, content);

        using var stop = new CancellationTokenSource();
        int goodReads = 0;
        var good = Task.Run(async () =>
        {
            await using var p = await RawNbdPeer.ConnectAsync(host.Port);
            await p.GoAsync("1", structured: true);
            var rnd = new Random(7);
            for (ulong cookie = 1; !stop.IsCancellationRequested || goodReads < 20; cookie++)
            {
                int off = rnd.Next(0, 64) * 65536;
                await p.SendRequestAsync(NbdCommand.Read, cookie, (ulong)off, 65536);
                var r = await p.ReadReplyAsync();
                Assert.Equal((cookie, NbdReplyChunkType.OffsetData), (r.Cookie, r.Type));
                Assert.True(content.AsSpan(off, 65536).SequenceEqual(r.Payload.AsSpan(8)), "good client read wrong data");
                Interlocked.Increment(ref goodReads);
            }
        });

        var attacks = new (string Name, Func<RawNbdPeer, Task> Attack)[]
        {
            ("garbage before greeting", p => p.SendAsync(RandomBytes(1000))),
            ("unknown client flags", async p => { await p.GreetAsync(clientFlags: 0x80); }),
            ("bad option magic", async p => { await p.GreetAsync(); await p.SendAsync(RandomBytes(16)); }),
            ("outrageous option length", async p => { await p.GreetAsync(); await p.SendAsync(OptionHeader(7, 0x7fff_ffff)); }),
            ("truncated option", async p => { await p.GreetAsync(); await p.SendAsync([.. OptionHeader(7, 100), .. new byte[10]]); }),
            ("export name too long", async p => { await p.GreetAsync(); await p.SendAsync(OptionHeader(1, 1 << 20)); }),
            ("bad request magic", async p => { await p.GoAsync("1"); await p.SendAsync(RandomBytes(28)); }),
            ("truncated request", async p => { await p.GoAsync("1"); await p.SendAsync(new byte[] { 0x25, 0x60, 0x95, 0x13, 0, 0 }); }),
            ("oversized write", async p =>
            {
                await p.GoAsync("1");
                await p.SendRequestAsync(NbdCommand.Write, 9, 0, 100 << 20);
                Assert.Equal(NbdError.Invalid, (await p.ReadReplyAsync()).Error);  // answered once, then dropped
            }),
            ("truncated write payload", async p => { await p.GoAsync("1"); await p.SendRequestAsync(NbdCommand.Write, 9, 0, 1 << 20, new byte[1000]); }),
        };

        foreach (var (name, attack) in attacks)
        {
            await using var p = await RawNbdPeer.ConnectAsync(host.Port);
            await attack(p);
            if (name.StartsWith("truncated", StringComparison.Ordinal)) continue;  // the peer leaves; the server must cope
            Assert.True(await p.IsClosedByServerAsync(), $"server kept the connection after: {name}");
        }

        await Poll.UntilAsync(() => Volatile.Read(ref goodReads) >= 20, TimeSpan.FromSeconds(20), "reads of the good client");
        stop.Cancel();
        await good;
        await Poll.UntilAsync(() => host.Server.ConnectionCount == 0, TimeSpan.FromSeconds(10), "all hostile connections to be closed");

        // The data was never touched by the partial and oversized writes.
        var back = new byte[content.Length];
        await host.Device("1").ReadAsync(0, back);
        Assert.True(content.AsSpan().SequenceEqual(back));
    }

    private static byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        Random.Shared.NextBytes(b);
        b[0] = 0xEE;  // never a valid magic
        return b;
    }

    private static byte[] OptionHeader(uint option, uint length)
    {
        var b = new byte[NbdOptionRequest.Size];
        new NbdOptionRequest(option, length).Write(b);
        return b;
    }
}
