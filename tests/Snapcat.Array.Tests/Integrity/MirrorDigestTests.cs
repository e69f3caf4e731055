using Snapcat.Array.Tests.Daemon;
using Snapcat.Contracts.Array;
using Snapcat.Core.Integrity;

namespace Snapcat.Array.Tests.Integrity;

/// <summary>A mirror copy computes the secondary's content digest while copying (docs/integrity.md), over a real array daemon.</summary>
public sealed class MirrorDigestTests
{
    private const int Chunk = ContentDigest.ChunkSize;

    [Fact]
    public async Task Full_then_incremental_copies_seal_the_digest_of_the_secondarys_bytes()
    {
        const long size = 32L << 20;  // 512 chunks
        await using var system = new SnapcatSystem();
        var a = await system.StartArrayAsync("ARRAY-MDIG", dataPortCount: 1);
        var p = await a.Client.CreateVolumeAsync("32M");
        var s = await a.Client.CreateVolumeAsync("32M");
        await a.AssignAsync(p.Number, 1, readOnly: false);
        await a.AssignAsync(s.Number, 2, readOnly: true);
        // Data in the first 24 MiB only: the rest is a hole on the primary, trimmed on the secondary, hashed as zeroes.
        await using (var c = await a.Port(0).ConnectAsync(1))
        {
            var buf = new byte[4 << 20];
            var rnd = new Random(21);
            for (long off = 0; off < (24L << 20); off += buf.Length)
            {
                rnd.NextBytes(buf);
                await c.WriteAsync(off, buf);
            }
            await c.FlushAsync();
        }
        await a.Client.AddMirrorAsync(p.Number, s.Number);

        var first = await a.WaitJobSucceededAsync((await a.Client.StartCopyAsync(new CopyOrder(p.Number, null, null, s.Number))).Id);
        Assert.True(first.Result!["full"]!.GetValue<bool>());
        var afterFull = await a.Client.GetDigestAsync(s.Number);
        Assert.NotNull(afterFull);
        Assert.Equal(("copy", size), (afterFull!.Source, afterFull.Length));
        Assert.Equal(ContentDigest.Compute(await DigestTests.ReadLunAsync(a, 2)).RootText, afterFull.Root);
        Assert.Null(await a.Client.GetDigestAsync(p.Number));  // the primary is not a backup: nothing sealed it

        // A few chunks change (one in the hole): the incremental copy reuses the other chunks' hashes.
        var rnd2 = new Random(22);
        await using (var c = await a.Port(0).ConnectAsync(1))
        {
            var buf = new byte[4096];
            foreach (long chunk in new long[] { 3, 77, 200, 450 })
            {
                rnd2.NextBytes(buf);
                await c.WriteAsync((chunk * Chunk) + 4096, buf);
            }
            await c.FlushAsync();
        }
        var second = await a.WaitJobSucceededAsync((await a.Client.StartCopyAsync(new CopyOrder(p.Number, null, null, s.Number))).Id);
        Assert.False(second.Result!["full"]!.GetValue<bool>());
        Assert.Equal(4L * Chunk, second.BytesTotal);
        var secondaryBytes = await DigestTests.ReadLunAsync(a, 2);
        Assert.Equal(secondaryBytes, await DigestTests.ReadLunAsync(a, 1));
        var afterIncremental = await a.Client.GetDigestAsync(s.Number);
        Assert.NotNull(afterIncremental);
        Assert.Equal(ContentDigest.Compute(secondaryBytes).RootText, afterIncremental!.Root);
        Assert.NotEqual(afterFull.Root, afterIncremental.Root);
        // The chunk hashes are right too, not only the root: a verify compares them one by one.
        var verified = await DigestTests.VerifyAsync(a, s.Number);
        Assert.True(verified.Matched);
        Assert.False(verified.Sealed);

        // Without a valid digest (its volume information deleted drops it), the next incremental copy hashes the
        // chunks it does not copy from the secondary's data.
        await a.Client.DeleteVolumeInfoAsync(s.Number);
        Assert.Null(await a.Client.GetDigestAsync(s.Number));
        await using (var c = await a.Port(0).ConnectAsync(1))
        {
            await c.WriteAsync(100L * Chunk, new byte[Chunk]);
            await c.FlushAsync();
        }
        var third = await a.WaitJobSucceededAsync((await a.Client.StartCopyAsync(new CopyOrder(p.Number, null, null, s.Number))).Id);
        Assert.Equal(1L * Chunk, third.BytesTotal);
        var afterThird = await a.Client.GetDigestAsync(s.Number);
        Assert.NotNull(afterThird);
        Assert.Equal(ContentDigest.Compute(await DigestTests.ReadLunAsync(a, 2)).RootText, afterThird!.Root);
        Assert.True((await DigestTests.VerifyAsync(a, s.Number)).Matched);
    }

    [Fact]
    public async Task A_restore_onto_the_primary_drops_the_primarys_digest()
    {
        await using var system = new SnapcatSystem();
        var a = await system.StartArrayAsync("ARRAY-MREST", dataPortCount: 1);
        var p = await a.Client.CreateVolumeAsync("4M");
        var s = await a.Client.CreateVolumeAsync("4M");
        await a.AssignAsync(p.Number, 1, readOnly: false);
        await a.Port(0).FillAsync(1, 4L << 20, seed: 23);
        await a.Client.AddMirrorAsync(p.Number, s.Number);
        await a.WaitJobSucceededAsync((await a.Client.StartCopyAsync(new CopyOrder(p.Number, null, null, s.Number))).Id);
        Assert.NotNull(await a.Client.GetDigestAsync(s.Number));
        await a.Client.ReleaseAsync(a.DataPorts[0], 1);

        // The primary's own digest (sealed by a verify), then a restore from the secondary after a change on the primary.
        await a.AssignAsync(p.Number, 1, readOnly: false);
        await using (var c = await a.Port(0).ConnectAsync(1))
        {
            await c.WriteAsync(0, new byte[4096]);
            await c.FlushAsync();
        }
        await a.Client.ReleaseAsync(a.DataPorts[0], 1);
        Assert.True((await DigestTests.VerifyAsync(a, p.Number)).Sealed);
        var restore = await a.RestoreOnceWritersGoneAsync(s.Number);
        await a.WaitJobSucceededAsync(restore.Id);
        Assert.Null(await a.Client.GetDigestAsync(p.Number));
        // The secondary was only read: its digest stands.
        Assert.True((await DigestTests.VerifyAsync(a, s.Number)).Matched);
    }
}
