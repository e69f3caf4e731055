using Snapcat.Array.Tests.Daemon;
using Snapcat.Nbd.Client;
using Snapcat.Nbd.Protocol;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.DiskFull;

/// <summary>
/// A volume with snapshots on a data directory that runs full: the write that needs space is
/// refused (ENOSPC or EIO), and once space is back the next write succeeds without a restart; every
/// snapshot keeps its bytes throughout. Real array daemon, real ext4 on a loop device, NBD client.
/// </summary>
public sealed class SnapshotEnospcTests
{
    private const int Size = 8 << 20;
    private const int Piece = 64 << 10;

    [Fact]
    public async Task After_enospc_a_volume_with_snapshots_takes_writes_again_once_space_is_back_and_snapshots_stay_intact()
    {
        await using var fs = await LoopExt4.CreateAsync(48L << 20);
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-ENOSPC", dataPortCount: 1, configure: n => { n.DataDirectory = fs.Combine("array"); });
        var v = await a.Client.CreateVolumeAsync("8M");
        await a.AssignAsync(v.Number, 1, readOnly: false);

        // The first half holds data, the second half was never written (a hole: preserved as a zero record).
        var model = new byte[Size];
        new Random(98).NextBytes(model.AsSpan(0, Size / 2));
        await using (var w = await a.Port(0).ConnectAsync(1))
        {
            await w.WriteAsync(0, model.AsMemory(0, Size / 2));
            await w.FlushAsync();
        }
        var s1 = await a.Client.CreateSnapshotAsync(v.Number);
        await a.AssignAsync(s1.Number, 2, readOnly: null);
        string hash1 = LunData.Hash(model);
        new Random(99).NextBytes(model.AsSpan(0, 1 << 20));
        await using (var w = await a.Port(0).ConnectAsync(1))
        {
            await w.WriteAsync(0, model.AsMemory(0, 1 << 20));  // snapshot 1 preserves this megabyte
            await w.FlushAsync();
        }
        var s2 = await a.Client.CreateSnapshotAsync(v.Number);  // empty index: its first record needs a new block
        await a.AssignAsync(s2.Number, 3, readOnly: null);
        string hash2 = LunData.Hash(model);
        Assert.Equal(hash1, await a.Port(0).HashLunAsync(2));
        Assert.Equal(hash2, await a.Port(0).HashLunAsync(3));

        await fs.FillAsync();

        // Two writes that need space for copy-on-write into snapshot 2: one over data (its old bytes
        // need blocks in the snapshot's data file), one over the hole (its zero record needs an index block).
        long overData = 2 << 20, overHole = 6 << 20;
        var newData = new byte[Piece];
        new Random(100).NextBytes(newData);
        await using (var w = await a.Port(0).ConnectAsync(1))
        {
            foreach (long off in new[] { overHole, overData })
            {
                var ex = await Assert.ThrowsAsync<NbdCommandException>(async () => await w.WriteAsync(off, newData));
                Assert.True(ex.Error is NbdError.NoSpace or NbdError.Io, $"write at {off} on a full disk: {ex.Error} ({ex.Message})");
            }
        }
        // Refused writes changed nothing anywhere.
        Assert.Equal(hash1, await a.Port(0).HashLunAsync(2));
        Assert.Equal(hash2, await a.Port(0).HashLunAsync(3));
        Assert.Equal(hash2, await a.Port(0).HashLunAsync(1));

        await fs.FreeAsync();

        // Same array process, no restart: the same writes now succeed.
        await using (var w = await a.Port(0).ConnectAsync(1))
        {
            foreach (long off in new[] { overHole, overData })
            {
                await w.WriteAsync(off, newData);
                newData.CopyTo(model.AsSpan((int)off));
            }
            await w.FlushAsync();
            // And writes of chunks not touched before still preserve into the newest snapshot.
            var more = new byte[Piece];
            new Random(101).NextBytes(more);
            await w.WriteAsync(Size - Piece, more);
            more.CopyTo(model.AsSpan(Size - Piece));
            await w.FlushAsync();
        }
        Assert.Equal(LunData.Hash(model), await a.Port(0).HashLunAsync(1));
        Assert.Equal(hash1, await a.Port(0).HashLunAsync(2));
        Assert.Equal(hash2, await a.Port(0).HashLunAsync(3));

        // And after a restart (recovery reads the indexes back) the snapshots are still the same.
        await a.StopCleanlyAsync();
        await a.RestartAsync();
        Assert.Equal(hash1, await a.Port(0).NbdcopyHashAsync(2));
        Assert.Equal(hash2, await a.Port(0).NbdcopyHashAsync(3));
        Assert.Equal(LunData.Hash(model), await a.Port(0).NbdcopyHashAsync(1));
    }
}
