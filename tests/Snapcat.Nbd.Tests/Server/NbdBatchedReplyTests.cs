using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Tests.Server;

/// <summary>
/// Many requests in one TCP write: the server parses them from one receive buffer, answers the
/// small ones from the reader in batched sends, and must still give every cookie exactly one
/// well-framed reply (errors included) with the right data.
/// </summary>
public sealed class NbdBatchedReplyTests : IAsyncLifetime
{
    private const int Count = 200;  // far above the 16 in-flight slots: back-pressure mid-buffer
    private const int Block = 4096;
    private FileExportHost _host = null!;

    public async Task InitializeAsync() => _host = await FileExportHost.StartAsync(4 << 20);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Hundreds_of_pipelined_small_requests_in_one_write_are_each_answered_once(bool structured)
    {
        await using var p = await RawNbdPeer.ConnectAsync(_host.Port);
        await p.GoAsync("1", structured);
        var data = new byte[Count * Block];
        Random.Shared.NextBytes(data);

        var writes = new MemoryStream();
        for (int i = 0; i < Count; i++)
        {
            Append(writes, NbdCommand.Write, (ulong)i, (ulong)(i * Block), Block);
            writes.Write(data, i * Block, Block);
        }
        Append(writes, NbdCommand.Write, 9000, 4 << 20, Block);  // past the end: ENOSPC
        writes.Write(new byte[Block]);
        await p.SendAsync(writes.ToArray());
        var errors = new Dictionary<ulong, NbdError>();
        for (int i = 0; i <= Count; i++)
        {
            var r = await p.ReadReplyAsync();
            Assert.True(errors.TryAdd(r.Cookie, r.Error), $"cookie {r.Cookie} answered twice");
        }
        Assert.Equal(NbdError.NoSpace, errors[9000]);
        Assert.All(Enumerable.Range(0, Count), i => Assert.Equal(NbdError.None, errors[(ulong)i]));

        // Reads: small ones batched, a 100 KiB one sent on its own, errors in between.
        var reads = new MemoryStream();
        for (int i = 0; i < Count; i++) Append(reads, NbdCommand.Read, (ulong)i, (ulong)(i * Block), Block);
        Append(reads, NbdCommand.Read, 9001, 0, 100 * 1024);
        Append(reads, NbdCommand.Read, 9002, 4 << 20, 1);      // past the end: EINVAL
        Append(reads, (NbdCommand)77, 9003, 0, 0);              // unknown command: EINVAL
        await p.SendAsync(reads.ToArray());
        var seen = new HashSet<ulong>();
        for (int i = 0; i < Count + 3; i++)
        {
            // Simple replies carry no length: only the cookie tells which read this is, so the
            // data length is known only for the 4 KiB reads; the big read is checked separately.
            var r = await ReadAnyAsync(p, structured);
            Assert.True(seen.Add(r.Cookie), $"cookie {r.Cookie} answered twice");
            if (r.Cookie < Count)
            {
                Assert.Equal(NbdError.None, r.Error);
                Assert.Equal(data.AsSpan((int)r.Cookie * Block, Block).ToArray(), r.Data);
            }
            else if (r.Cookie == 9001)
            {
                Assert.Equal(NbdError.None, r.Error);
                Assert.Equal(data.AsSpan(0, 100 * 1024).ToArray(), r.Data);
            }
            else
            {
                Assert.Equal(NbdError.Invalid, r.Error);
            }
        }
        Assert.Equal(Count + 3, seen.Count);
        Assert.Equal(1, _host.Server.ConnectionsTo("1"));
    }

    private static async Task<(ulong Cookie, NbdError Error, byte[] Data)> ReadAnyAsync(RawNbdPeer p, bool structured)
    {
        if (structured)
        {
            var r = await p.ReadReplyAsync();
            return (r.Cookie, r.Error, r.Type == NbdReplyChunkType.OffsetData ? r.Payload[8..] : []);
        }
        // §8.1: read the header first, then as many data bytes as that cookie's request asked for.
        var h = await p.ReadAsync(NbdSimpleReply.Size);
        var reply = NbdSimpleReply.Parse(h);
        int len = reply.Error != NbdError.None ? 0 : reply.Cookie < Count ? Block : reply.Cookie == 9001 ? 100 * 1024 : 0;
        return (reply.Cookie, reply.Error, len > 0 ? await p.ReadAsync(len) : []);
    }

    private static void Append(MemoryStream s, NbdCommand cmd, ulong cookie, ulong offset, uint length)
    {
        var b = new byte[NbdRequest.Size];
        new NbdRequest(0, (ushort)cmd, cookie, offset, length).Write(b);
        s.Write(b);
    }
}
