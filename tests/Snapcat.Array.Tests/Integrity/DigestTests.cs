using System.Text.Json;
using Snapcat.Array.Tests.Daemon;
using Snapcat.Contracts.Array;
using Snapcat.Core.Errors;
using Snapcat.Core.Integrity;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Integrity;

/// <summary>Content digests and array-side verify over a real array daemon (docs/integrity.md).</summary>
public sealed class DigestTests
{
    private const int Chunk = ContentDigest.ChunkSize;

    [Fact]
    public async Task Verify_seals_then_matches_and_a_byte_flipped_in_the_backing_file_is_a_mismatch_at_its_offset()
    {
        const long size = 8L << 20;
        await using var system = new SnapcatSystem();
        var a = await system.StartArrayAsync("ARRAY-VERIFY", dataPortCount: 1);
        var v = await a.Client.CreateVolumeAsync("8M");
        await a.AssignAsync(v.Number, 1, readOnly: false);
        var data = await a.Port(0).FillAsync(1, size, seed: 11);
        Assert.Null(await a.Client.GetDigestAsync(v.Number));

        var first = await VerifyAsync(a, v.Number);
        Assert.True(first.Sealed);
        Assert.True(first.Matched);
        Assert.Equal(size, first.Bytes);
        var expected = ContentDigest.Compute(data);
        Assert.Equal(expected.RootText, first.Root);
        var kept = await a.Client.GetDigestAsync(v.Number);
        Assert.NotNull(kept);
        Assert.Equal(("verify", expected.RootText, size, ContentDigest.Algorithm), (kept!.Source, kept.Root, kept.Length, kept.Algorithm));
        // The file form, checked against the bytes read back over NBD.
        var file = ContentDigest.Parse(await a.Client.GetDigestFileAsync(v.Number));
        Assert.True(file.SameContentAs(ContentDigest.Compute(await ReadLunAsync(a, 1))));
        // volume-infos reports the root (from memory).
        var listed = (await a.Client.ListVolumeInfosAsync()).Volumes.Single(e => e.Number == v.Number);
        Assert.Equal(expected.RootText, listed.DigestRoot);

        var second = await VerifyAsync(a, v.Number);
        Assert.False(second.Sealed);
        Assert.True(second.Matched);
        Assert.Equal(expected.RootText, second.ExpectedRoot);
        Assert.Empty(second.DifferingOffsets);

        // One byte changed behind the array's back, in chunk 37: the verify job succeeds and says where.
        long offset = (37L * Chunk) + 1234;
        await using (var f = new FileStream(Path.Combine(a.DataPath, "volumes", $"{v.Number:D6}.vol"), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            f.Position = offset;
            f.WriteByte((byte)(data[offset] ^ 0x40));
            f.Flush(flushToDisk: true);
        }
        var third = await VerifyAsync(a, v.Number);
        Assert.False(third.Matched);
        Assert.False(third.Sealed);
        Assert.Equal([37L * Chunk], third.DifferingOffsets);
        Assert.Equal(expected.RootText, third.ExpectedRoot);
        Assert.NotEqual(expected.RootText, third.Root);
        // The kept digest is still the sealed one: a mismatch does not re-seal.
        Assert.Equal(expected.RootText, (await a.Client.GetDigestAsync(v.Number))!.Root);

        var metrics = await a.Http.GetStringAsync("/metrics");
        Assert.Contains("snapcat_array_verifies_total{outcome=\"sealed\"} 1", metrics);
        Assert.Contains("snapcat_array_verifies_total{outcome=\"matched\"} 1", metrics);
        Assert.Contains("snapcat_array_verifies_total{outcome=\"mismatched\"} 1", metrics);
    }

    [Fact]
    public async Task A_write_through_a_writable_assignment_drops_the_digest_before_it_lands()
    {
        await using var system = new SnapcatSystem();
        var a = await system.StartArrayAsync("ARRAY-STALE", dataPortCount: 1);
        var v = await a.Client.CreateVolumeAsync("4M");
        await a.AssignAsync(v.Number, 1, readOnly: false);
        await a.Port(0).FillAsync(1, 4L << 20, seed: 12);
        await VerifyAsync(a, v.Number);
        string digestFile = Path.Combine(a.DataPath, "digests", $"{v.Number:D6}.digest");
        Assert.True(File.Exists(digestFile));

        await using (var c = await a.Port(0).ConnectAsync(1))
        {
            // The write's reply comes after the change landed, and the digest went before it.
            await c.WriteAsync(3 * Chunk, new byte[512]);
            Assert.False(File.Exists(digestFile), "the digest file outlived a write to its volume");
            Assert.Null(await a.Client.GetDigestAsync(v.Number));
            Assert.Null((await a.Client.ListVolumeInfosAsync()).Volumes.Single(e => e.Number == v.Number).DigestRoot);
            var file = await HttpAssert.ExpectErrorAsync(await a.Http.GetAsync($"/v1/volumes/{v.Number}/digest/file"), 404);
            Assert.Equal("digest.none", file.Code);
        }

        // After a crash the drop holds: nothing comes back at start.
        a.KillHard();
        await a.RestartAsync();
        Assert.Null(await a.Client.GetDigestAsync(v.Number));
        var resealed = await VerifyAsync(a, v.Number);
        Assert.True(resealed.Sealed);
        Assert.Equal(ContentDigest.Compute(await ReadLunAsync(a, 1)).RootText, resealed.Root);
    }

    [Fact]
    public async Task Put_digest_checks_the_data_refuses_a_wrong_one_with_409_and_keeps_a_right_one_as_import()
    {
        await using var system = new SnapcatSystem();
        var a = await system.StartArrayAsync("ARRAY-PUT", dataPortCount: 1);
        var v = await a.Client.CreateVolumeAsync("2M");
        await a.AssignAsync(v.Number, 1, readOnly: false);
        var data = await a.Port(0).FillAsync(1, 2L << 20, seed: 13);

        // A digest of other bytes (chunk 5 differs): 409 digest.mismatch naming its offset; no digest kept.
        var other = (byte[])data.Clone();
        other[(5 * Chunk) + 7] ^= 1;
        var wrong = await Assert.ThrowsAsync<SnapcatException>(() => a.Client.PutDigestAsync(v.Number, ContentDigest.Compute(other).Serialize()));
        Assert.Equal((ErrorKind.Conflict, "digest.mismatch"), (wrong.Kind, wrong.Code));
        Assert.Contains($"offset {5 * Chunk}", wrong.Message);
        Assert.Null(await a.Client.GetDigestAsync(v.Number));

        // A damaged file, and one of another length: 400, nothing kept.
        var good = ContentDigest.Compute(data).Serialize();
        var damaged = (byte[])good.Clone();
        damaged[30] ^= 1;
        var bad = await Assert.ThrowsAsync<SnapcatException>(() => a.Client.PutDigestAsync(v.Number, damaged));
        Assert.Equal((ErrorKind.Invalid, "digest.damaged"), (bad.Kind, bad.Code));
        var shortOne = await Assert.ThrowsAsync<SnapcatException>(() => a.Client.PutDigestAsync(v.Number, ContentDigest.Compute(data.AsSpan(0, 1 << 20)).Serialize()));
        Assert.Equal(ErrorKind.Invalid, shortOne.Kind);
        Assert.Null(await a.Client.GetDigestAsync(v.Number));

        var kept = await a.Client.PutDigestAsync(v.Number, good);
        Assert.Equal(("import", ContentDigest.Compute(data).RootText), (kept.Source, kept.Root));
        Assert.Equal(good, await a.Client.GetDigestFileAsync(v.Number));

        // A wrong one over a kept one is refused too, and the kept one stays.
        await Assert.ThrowsAsync<SnapcatException>(() => a.Client.PutDigestAsync(v.Number, ContentDigest.Compute(other).Serialize()));
        Assert.Equal(kept.Root, (await a.Client.GetDigestAsync(v.Number))!.Root);
        var unknown = await HttpAssert.ExpectErrorAsync(await a.Http.GetAsync("/v1/volumes/999/digest"), 404);
        Assert.Equal("volume.not_found", unknown.Code);
    }

    [Fact]
    public async Task An_agent_credential_is_refused_the_digest_routes()
    {
        await using var system = new SnapcatSystem("digest-scope");
        var a = system.AddArray("ARRAY-DSC");
        var v1 = a.AddVolume("1M", port: 0, lun: 0);
        a.WithAgentCredential("agent-h1", () => [v1.RequireNumber()]);
        await a.StartAsync();
        await a.RestartAsync();
        using var agent = a.ClientAs("agent-h1");
        uint n = v1.RequireNumber();
        var verify = await Assert.ThrowsAsync<SnapcatException>(() => agent.StartVerifyAsync(n));
        Assert.Equal(ErrorKind.Forbidden, verify.Kind);
        var get = await Assert.ThrowsAsync<SnapcatException>(() => agent.GetDigestAsync(n));
        Assert.Equal(ErrorKind.Forbidden, get.Kind);
        var put = await Assert.ThrowsAsync<SnapcatException>(() => agent.PutDigestAsync(n, ContentDigest.Compute(new byte[1 << 20]).Serialize()));
        Assert.Equal(ErrorKind.Forbidden, put.Kind);
        Assert.Null(await a.Client.GetDigestAsync(n));
        Assert.DoesNotContain(await a.GetAsync<List<JobSnapshot>>("/v1/jobs"), j => j.Kind == "verify");
    }

    [Fact]
    public async Task A_verify_that_races_a_writer_fails_verify_written_and_keeps_no_digest()
    {
        await using var system = new SnapcatSystem();
        var a = await system.StartArrayAsync("ARRAY-VRACE", dataPortCount: 1);
        var v = await a.Client.CreateVolumeAsync("64M");
        await a.AssignAsync(v.Number, 1, readOnly: false);
        await a.Port(0).FillAsync(1, 64L << 20, seed: 14);

        // A writer that keeps writing until the verify has ended: every moment of the verify overlaps a write.
        await using var writer = await a.Port(0).ConnectAsync(1);
        using var stop = new CancellationTokenSource();
        long writes = 0;
        var writing = Task.Run(async () =>
        {
            var buf = new byte[4096];
            var rnd = new Random(15);
            while (!stop.IsCancellationRequested)
            {
                rnd.NextBytes(buf);
                await writer.WriteAsync(rnd.NextInt64(0, (64L << 20) / 4096) * 4096, buf);
                Interlocked.Increment(ref writes);
            }
        });
        await Poll.UntilAsync(() => Interlocked.Read(ref writes) > 10, TimeSpan.FromSeconds(30), "the writer to get going");
        var job = await a.WaitJobAsync((await a.Client.StartVerifyAsync(v.Number)).Id);
        await stop.CancelAsync();
        await writing;
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal("verify.written", job.ErrorCode);
        Assert.Null(await a.Client.GetDigestAsync(v.Number));
        Assert.Contains("snapcat_array_verifies_total{outcome=\"failed\"} 1", await a.Http.GetStringAsync("/metrics"));
    }

    internal static async Task<VolumeVerifyResult> VerifyAsync(ArrayNode a, uint number)
    {
        var job = await a.Client.StartVerifyAsync(number);
        var done = await a.WaitJobSucceededAsync(job.Id);
        Assert.Equal("verify", done.Kind);
        Assert.Equal(done.BytesTotal, done.BytesDone);
        return done.Result!.Deserialize<VolumeVerifyResult>(HttpAssert.Json)!;
    }

    internal static async Task<byte[]> ReadLunAsync(ArrayNode a, uint lun, int port = 0)
    {
        await using var c = await a.Port(port).ConnectAsync(lun);
        var bytes = new byte[c.Size];
        for (long off = 0; off < c.Size; off += 4 << 20)
            await c.ReadAsync(off, bytes.AsMemory((int)off, (int)Math.Min(4 << 20, c.Size - off)));
        return bytes;
    }
}
