using Snapcat.Array.Tests.Daemon;
using Snapcat.Core.Integrity;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Integrity;

/// <summary>Where digests live and when they go: crashes, snapshots, deletes (docs/integrity.md), over a real array daemon.</summary>
public sealed class DigestLifecycleTests
{
    [Fact]
    public async Task Kill_9_during_a_verify_leaves_no_wrong_digest()
    {
        const long size = 256L << 20;
        await using var system = new SnapcatSystem();
        var a = await system.StartArrayAsync("ARRAY-VKILL", dataPortCount: 1);
        var v = await a.Client.CreateVolumeAsync("256M");
        await a.AssignAsync(v.Number, 1, readOnly: false);
        var data = await a.Port(0).FillAsync(1, size, seed: 41);
        string root = ContentDigest.Compute(data).RootText;

        var job = await a.Client.StartVerifyAsync(v.Number);
        await Poll.UntilAsync(async () => (await a.GetAsync<JobSnapshot>($"/v1/jobs/{job.Id}")) is { BytesDone: > 0 } or { State: JobState.Succeeded },
            TimeSpan.FromSeconds(60), "the verify to read some data");
        a.KillHard();
        await a.RestartAsync();

        // Whatever moment the kill hit, a digest that is reported describes the data.
        var after = await a.Client.GetDigestAsync(v.Number);
        if (after is not null) Assert.Equal(root, after.Root);
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(a.DataPath, "digests")), f => Path.GetFileName(f).StartsWith('.'));
        var again = await DigestTests.VerifyAsync(a, v.Number);
        Assert.True(again.Matched);
        Assert.Equal(root, again.Root);
        Assert.Equal(root, (await a.Client.GetDigestAsync(v.Number))!.Root);

        // Sealed digests survive a kill -9 as they are.
        a.KillHard();
        await a.RestartAsync();
        Assert.Equal(root, (await a.Client.GetDigestAsync(v.Number))!.Root);
    }

    [Fact]
    public async Task A_snapshots_digest_is_sealed_by_its_first_verify_outlives_writes_to_its_source_and_goes_with_it()
    {
        await using var system = new SnapcatSystem();
        var a = await system.StartArrayAsync("ARRAY-SDIG", dataPortCount: 1);
        var v = await a.Client.CreateVolumeAsync("8M");
        await a.AssignAsync(v.Number, 1, readOnly: false);
        var data = await a.Port(0).FillAsync(1, 8L << 20, seed: 42);
        var snap = await a.Client.CreateSnapshotAsync(v.Number);
        Assert.Null(await a.Client.GetDigestAsync(snap.Number));  // none at creation

        var first = await DigestTests.VerifyAsync(a, snap.Number);
        Assert.True(first.Sealed);
        Assert.Equal(ContentDigest.Compute(data).RootText, first.Root);
        Assert.Equal("verify", (await a.Client.GetDigestAsync(snap.Number))!.Source);

        // The source moves on (copy-on-write preserves the snapshot's data): the snapshot's digest stays valid.
        await using (var c = await a.Port(0).ConnectAsync(1))
        {
            await c.WriteAsync(1 << 20, new byte[1 << 20]);
            await c.FlushAsync();
        }
        var second = await DigestTests.VerifyAsync(a, snap.Number);
        Assert.True(second.Matched);
        Assert.False(second.Sealed);

        // Deleting the snapshot deletes its digest files.
        string file = Path.Combine(a.DataPath, "digests", $"{snap.Number:D6}.digest");
        Assert.True(File.Exists(file));
        await a.Client.DeleteVolumeAsync(snap.Number);
        Assert.False(File.Exists(file));
        Assert.False(File.Exists(Path.ChangeExtension(file, ".seal")));
    }

    [Fact]
    public async Task Deleting_a_volume_or_its_volume_information_deletes_its_digest()
    {
        await using var system = new SnapcatSystem();
        var a = await system.StartArrayAsync("ARRAY-DDEL", dataPortCount: 1);
        var v1 = await a.Client.CreateVolumeAsync("1M");
        var v2 = await a.Client.CreateVolumeAsync("1M");
        await a.PutInfoAsync(v1.Number, new byte[512]);
        await DigestTests.VerifyAsync(a, v1.Number);
        await DigestTests.VerifyAsync(a, v2.Number);
        Assert.NotNull(await a.Client.GetDigestAsync(v1.Number));

        await a.Client.DeleteVolumeInfoAsync(v1.Number);
        Assert.Null(await a.Client.GetDigestAsync(v1.Number));
        await a.Client.DeleteVolumeAsync(v2.Number);
        Assert.Empty(Directory.GetFiles(Path.Combine(a.DataPath, "digests")));
        var gone = await HttpAssert.ExpectErrorAsync(await a.Http.GetAsync($"/v1/volumes/{v2.Number}/digest"), 404);
        Assert.Equal("volume.not_found", gone.Code);
    }
}
