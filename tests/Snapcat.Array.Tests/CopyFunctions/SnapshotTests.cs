using System.Collections.Concurrent;
using Snapcat.Array.Tests.Daemon;
using Snapcat.Contracts.Array;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.CopyFunctions;

/// <summary>Copy-on-write snapshots over a real array daemon, read back over NBD with nbdcopy and the C# client.</summary>
public sealed class SnapshotTests
{
    private const long Size = 8L << 20;

    [Fact]
    public async Task Ten_generations_read_back_exactly_delete_a_middle_one_and_roll_back()
    {
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-SNAP", dataPortCount: 1);
        var v = await a.Client.CreateVolumeAsync("8M");
        await a.AssignAsync(v.Number, 1, readOnly: false);
        var model = new byte[Size];
        var rnd = new Random(10);
        var gens = new List<(uint Number, uint Lun, string Hash)>();
        await using (var w = await a.Port(0).ConnectAsync(1))
        {
            for (int g = 0; g < 10; g++)
            {
                // Writes between generations: a few random ranges, some spanning chunk boundaries, and a zeroed range.
                for (int i = 0; i < 12; i++)
                {
                    int len = rnd.Next(1, 200_000);
                    int off = rnd.Next(0, (int)Size - len);
                    rnd.NextBytes(model.AsSpan(off, len));
                    await w.WriteAsync(off, model.AsMemory(off, len));
                }
                int z = rnd.Next(0, (int)Size - 131072);
                System.Array.Clear(model, z, 131072);
                await w.WriteZeroesAsync(z, 131072);
                // The first by data port + LUN, as an agent addresses its volume; the rest by number.
                var snap = g == 0
                    ? await HttpAssert.ReadAsync<VolumeDto>(await a.PostAsync(
                        $"/v1/ports/{Uri.EscapeDataString(a.DataPorts[0])}/luns/1/snapshots"), System.Net.HttpStatusCode.Created)
                    : await a.Client.CreateSnapshotAsync(v.Number);
                Assert.Equal("snapshot", snap.Kind);
                Assert.Equal(v.Number, snap.SourceVolume);
                Assert.Equal(Size, snap.Size);
                uint lun = (uint)(10 + g);
                await a.AssignAsync(snap.Number, lun, readOnly: null);  // snapshots default to read-only
                gens.Add((snap.Number, lun, LunData.Hash(model)));
            }
            // And the source keeps changing after the last snapshot.
            var tail = new byte[Size];
            rnd.NextBytes(tail);
            await w.WriteAsync(0, tail);
            await w.FlushAsync();
        }

        var listed = await a.GetAsync<List<VolumeDto>>($"/v1/volumes/{v.Number}/snapshots");
        Assert.Equal(gens.Select(g => g.Number), listed.Select(s => s.Number));
        Assert.Equal(gens.Select(g => g.Number), (await a.Client.GetVolumeAsync(v.Number)).Snapshots);
        var shown = await a.Client.GetVolumeAsync(gens[0].Number);
        Assert.Equal([new AssignmentDto(a.DataPorts[0], gens[0].Lun, true)], shown.Assignments);

        foreach (var (number, lun, hash) in gens)
        {
            Assert.Equal(hash, await a.Port(0).NbdcopyHashAsync(lun));
            Assert.Equal(hash, await a.Port(0).HashLunAsync(lun));
        }

        // Delete generation 5 (the LUN goes with force): the others are unchanged.
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await a.Http.DeleteAsync($"/v1/volumes/{gens[5].Number}?force=true")).StatusCode);
        await HttpAssert.ExpectErrorAsync(await a.Http.GetAsync($"/v1/volumes/{gens[5].Number}"), 404);
        gens.RemoveAt(5);
        foreach (var (_, lun, hash) in gens) Assert.Equal(hash, await a.Port(0).HashLunAsync(lun));

        // Roll the source back to generation 3; newer snapshots stay as they were.
        var job = await a.RestoreOnceWritersGoneAsync(gens[3].Number);
        Assert.Equal("snapshot-rollback", job.Kind);
        await a.WaitJobSucceededAsync(job.Id);
        Assert.Equal(gens[3].Hash, await a.Port(0).HashLunAsync(1));
        foreach (var (_, lun, hash) in gens) Assert.Equal(hash, await a.Port(0).HashLunAsync(lun));
    }

    [Fact]
    public async Task Kill_9_during_random_writes_keeps_every_snapshot_as_created()
    {
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-SNAPCRASH", dataPortCount: 1);
        var v = await a.Client.CreateVolumeAsync("16M");
        await a.AssignAsync(v.Number, 1, readOnly: false);
        await a.Port(0).FillAsync(1, 16L << 20, seed: 11);

        using var stop = new CancellationTokenSource();
        long writes = 0;
        bool killing = false;
        async Task Writer(int seed)
        {
            var rnd = new Random(seed);
            var buf = new byte[rnd.Next(1, 4) * 4096];
            try
            {
                await using var c = await a.Port(0).ConnectAsync(1);
                while (!stop.IsCancellationRequested)
                {
                    rnd.NextBytes(buf);
                    await c.WriteAsync(rnd.NextInt64(0, (16L << 20) - buf.Length), buf);
                    Interlocked.Increment(ref writes);
                }
            }
            catch (Exception) when (Volatile.Read(ref killing))
            {
                // the array was killed under us: expected
            }
        }
        var writers = Enumerable.Range(0, 4).Select(i => Task.Run(() => Writer(100 + i))).ToArray();

        // Each snapshot is hashed right after creation, while the writers go on: its content is fixed.
        var snaps = new ConcurrentDictionary<uint, (uint Lun, string Hash)>();
        for (int i = 0; i < 4; i++)
        {
            long before = Interlocked.Read(ref writes);
            await TestKit.Poll.UntilAsync(() => Interlocked.Read(ref writes) > before + 200, TimeSpan.FromSeconds(30), "writes between snapshots");
            var s = await a.Client.CreateSnapshotAsync(v.Number);
            uint lun = (uint)(20 + i);
            await a.AssignAsync(s.Number, lun, readOnly: true);
            snaps[s.Number] = (lun, await a.Port(0).HashLunAsync(lun));
        }
        long atKill = Interlocked.Read(ref writes);
        await TestKit.Poll.UntilAsync(() => Interlocked.Read(ref writes) > atKill + 200, TimeSpan.FromSeconds(30), "writes before the kill");
        Volatile.Write(ref killing, true);  // writers still running: the kill lands mid-write
        a.KillHard();
        stop.Cancel();
        await Task.WhenAll(writers);

        await a.RestartAsync();
        Assert.Equal(snaps.Keys.Order(), (await a.Client.GetVolumeAsync(v.Number)).Snapshots);
        foreach (var (number, (lun, hash)) in snaps)
            Assert.True(hash == await a.Port(0).HashLunAsync(lun), $"snapshot {number} changed across kill -9");
        // The source still takes writes, and the snapshots still do not see them.
        var after = await a.Port(0).FillAsync(1, 16L << 20, seed: 12);
        foreach (var (_, (lun, hash)) in snaps) Assert.Equal(hash, await a.Port(0).HashLunAsync(lun));
        Assert.Equal(LunData.Hash(after), await a.Port(0).HashLunAsync(1));
    }
}
