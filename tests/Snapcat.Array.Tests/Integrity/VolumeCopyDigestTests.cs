using Snapcat.Array.Tests.Daemon;
using Snapcat.Contracts.Array;
using Snapcat.Core.Integrity;
using Snapcat.Core.Jobs;

namespace Snapcat.Array.Tests.Integrity;

/// <summary>FIG. 19 volume copy checks the data against the content digest on arrival (docs/integrity.md), two real arrays.</summary>
public sealed class VolumeCopyDigestTests
{
    private const int Chunk = ContentDigest.ChunkSize;

    [Fact]
    public async Task A_copy_to_another_array_is_checked_on_arrival_and_a_source_whose_data_left_its_digest_fails_cleanly()
    {
        await using var system = new SnapcatSystem("vdig");
        var b = system.AddArray("ARRAY-VDST", n => n.DataPortCount = 1);
        var a = system.AddArray("ARRAY-VSRC", n => { n.DataPortCount = 1; n.Peers.Add(b); });
        await system.StartAsync();

        // Source: 8 MiB, data in pieces that do not line up with 64 KiB chunks, the rest a hole; sealed by a verify.
        var src = await a.Client.CreateVolumeAsync("8M");
        await a.AssignAsync(src.Number, 1, readOnly: false);
        var rnd = new Random(31);
        await using (var c = await a.Port(0).ConnectAsync(1))
        {
            foreach (var (off, len) in new (long, int)[] { (4096, 200_000), (3L << 20, 1 << 20), ((6L << 20) + 12288, 8192) })
            {
                var buf = new byte[len];
                rnd.NextBytes(buf);
                await c.WriteAsync(off, buf);
            }
            await c.FlushAsync();
        }
        var sourceBytes = await DigestTests.ReadLunAsync(a, 1);
        await a.Client.ReleaseAsync(a.DataPorts[0], 1);
        var sealedRoot = (await DigestTests.VerifyAsync(a, src.Number)).Root;
        Assert.Equal(ContentDigest.Compute(sourceBytes).RootText, sealedRoot);

        // Destination on B at LUN 3, with a stale digest of its own from an earlier verify: the copy replaces it.
        var dst = await b.Client.CreateVolumeAsync("8M");
        await b.AssignAsync(dst.Number, 3, readOnly: false);
        await DigestTests.VerifyAsync(b, dst.Number);
        var order = new VolumeCopyOrder(src.Number, null, "ARRAY-VDST", b.DataPorts[0], 3);
        var done = await a.WaitJobSucceededAsync((await a.Client.StartVolumeCopyAsync(order)).Id);
        Assert.Equal(sealedRoot, done.Result!["digestRoot"]!.GetValue<string>());
        var kept = await b.Client.GetDigestAsync(dst.Number);
        Assert.NotNull(kept);
        Assert.Equal(("copy", sealedRoot), (kept!.Source, kept.Root));
        Assert.Equal(sourceBytes, await DigestTests.ReadLunAsync(b, 3));

        // The source's data is changed behind its array's back (chunk 48): its digest no longer describes it. The copy
        // fails with digest.mismatch at that offset, and the destination keeps neither a digest nor volume information.
        long flipped = (48L * Chunk) + 100;
        await using (var f = new FileStream(Path.Combine(a.DataPath, "volumes", $"{src.Number:D6}.vol"), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            f.Position = flipped;
            f.WriteByte((byte)(sourceBytes[flipped] ^ 0xff));
        }
        await a.PutInfoAsync(src.Number, new byte[512]);
        Assert.NotNull(await a.Client.GetDigestAsync(src.Number));  // volume information does not touch the digest
        var failed = await a.WaitJobAsync((await a.Client.StartVolumeCopyAsync(order)).Id);
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal("digest.mismatch", failed.ErrorCode);
        Assert.Contains($"offset {48L * Chunk}", failed.ErrorMessage);
        Assert.Null(await b.Client.GetDigestAsync(dst.Number));
        Assert.Null(await b.Client.GetVolumeInfoAsync(dst.Number));
    }

    [Fact]
    public async Task A_copy_within_the_array_seals_the_destinations_digest_even_without_one_at_the_source()
    {
        await using var system = new SnapcatSystem();
        var a = await system.StartArrayAsync("ARRAY-VLOC", dataPortCount: 1);
        var src = await a.Client.CreateVolumeAsync("4M");
        var dst = await a.Client.CreateVolumeAsync("4M");
        await a.AssignAsync(src.Number, 1, readOnly: false);
        var data = await a.Port(0).FillAsync(1, 4L << 20, seed: 32);
        await a.Client.ReleaseAsync(a.DataPorts[0], 1);
        Assert.Null(await a.Client.GetDigestAsync(src.Number));

        var done = await a.WaitJobSucceededAsync((await a.Client.StartVolumeCopyAsync(new VolumeCopyOrder(src.Number, dst.Number, null, null, null))).Id);
        string root = ContentDigest.Compute(data).RootText;
        Assert.Equal(root, done.Result!["digestRoot"]!.GetValue<string>());
        var kept = await a.Client.GetDigestAsync(dst.Number);
        Assert.Equal(("copy", root), (kept!.Source, kept.Root));
        Assert.True((await DigestTests.VerifyAsync(a, dst.Number)).Matched);
        await a.AssignAsync(dst.Number, 2, readOnly: true);
        Assert.Equal(root, ContentDigest.Compute(await DigestTests.ReadLunAsync(a, 2)).RootText);
    }
}
