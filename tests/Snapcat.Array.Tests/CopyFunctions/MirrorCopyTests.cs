using Snapcat.Array.Tests.Daemon;
using Snapcat.Contracts.Array;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.CopyFunctions;

/// <summary>The data mirror function over a real array daemon: point-in-time copy under load, incremental re-copy, crash mid-copy.</summary>
public sealed class MirrorCopyTests
{
    private const int Chunk = 64 * 1024;

    [Fact]
    public async Task Copy_under_load_is_the_primary_at_copy_start()
    {
        // 512 MiB: the order answers once the point in time is taken (issue 15.4), so host writes must race the rest of a long copy.
        const long size = 512L << 20;
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-PIT", dataPortCount: 1);
        var p = await a.Client.CreateVolumeAsync("512M");
        var s = await a.Client.CreateVolumeAsync("512M");
        await a.AssignAsync(p.Number, 1, readOnly: false);
        await a.AssignAsync(s.Number, 2, readOnly: true);
        await a.Port(0).FillAsync(1, size, seed: 1);
        await a.Client.AddMirrorAsync(p.Number, s.Number);

        // A writer that keeps changing the primary; the semaphore pauses it between writes.
        await using var writer = await a.Port(0).ConnectAsync(1);
        var gate = new SemaphoreSlim(1, 1);
        long writes = 0;
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(async () =>
        {
            var rnd = new Random(7);
            var buf = new byte[16 * 1024];
            while (!stop.IsCancellationRequested)
            {
                await gate.WaitAsync();
                try
                {
                    rnd.NextBytes(buf);
                    long off = rnd.NextInt64(0, size / buf.Length) * buf.Length;
                    await writer.WriteAsync(off, buf);
                    Interlocked.Increment(ref writes);
                }
                finally { gate.Release(); }
            }
        });
        await TestKit.Poll.UntilAsync(() => Interlocked.Read(ref writes) > 50, TimeSpan.FromSeconds(30), "the writer to get going");

        await gate.WaitAsync();  // paused: no write in flight
        await writer.FlushAsync();
        string atStart = await a.Port(0).HashLunAsync(1);
        var job = await a.Client.StartCopyAsync(new CopyOrder(p.Number, null, null, s.Number));
        long writesAtOrder = Interlocked.Read(ref writes);
        gate.Release();          // the order is accepted: its point in time is taken

        // Count only writes that completed while the array still reported the copy running.
        JobSnapshot? running = null;
        long writesDuringCopy = 0;
        await TestKit.Poll.UntilAsync(async () =>
        {
            long w = Interlocked.Read(ref writes);
            running = await a.GetAsync<JobSnapshot>($"/v1/jobs/{job.Id}");
            if (!running.State.IsFinal()) writesDuringCopy = w - writesAtOrder;
            return running.State.IsFinal();
        }, TimeSpan.FromSeconds(120), "the copy");
        stop.Cancel();
        await writing;
        Assert.Equal(JobState.Succeeded, running!.State);
        Assert.True(writesDuringCopy > 0, "no host write raced the copy; the test proves nothing");
        Assert.Equal(size, running.BytesTotal);
        Assert.Equal(size, running.BytesDone);

        Assert.Equal(atStart, await a.Port(0).NbdcopyHashAsync(2));
        Assert.NotEqual(atStart, await a.Port(0).HashLunAsync(1));  // the primary really moved on
        var m = await a.MirrorStateAsync(p.Number, s.Number);
        Assert.Equal("complete", m.State);
        Assert.False(m.NextCopyFull);
        Assert.Equal(size, m.LastCopyBytes);
    }

    [Fact]
    public async Task Recopy_after_changing_one_percent_of_chunks_copies_about_one_percent()
    {
        const long size = 64L << 20;  // 1024 chunks
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-RECOPY", dataPortCount: 1);
        var p = await a.Client.CreateVolumeAsync("64M");
        var s = await a.Client.CreateVolumeAsync("64M");
        await a.AssignAsync(p.Number, 1, readOnly: false);
        await a.AssignAsync(s.Number, 2, readOnly: true);
        await a.Port(0).FillAsync(1, size, seed: 2);
        var added = await a.Client.AddMirrorAsync(p.Number, s.Number);
        Assert.Equal("never", added.State);
        Assert.True(added.NextCopyFull);

        var first = await a.WaitJobSucceededAsync((await a.Client.StartCopyAsync(new CopyOrder(p.Number, null, null, s.Number))).Id);
        Assert.True(first.Result!["full"]!.GetValue<bool>());
        Assert.Equal(size, (await a.MirrorStateAsync(p.Number, s.Number)).LastCopyBytes);

        // 1% of the chunks: 10 distinct chunks, one 4 KiB write in each.
        var rnd = new Random(3);
        var chunks = new HashSet<long>();
        while (chunks.Count < 10) chunks.Add(rnd.NextInt64(0, size / Chunk));
        await using (var c = await a.Port(0).ConnectAsync(1))
        {
            var buf = new byte[4096];
            foreach (long chunk in chunks)
            {
                rnd.NextBytes(buf);
                await c.WriteAsync(chunk * Chunk + 8192, buf);
            }
            await c.FlushAsync();
        }

        var second = await a.WaitJobSucceededAsync((await a.Client.StartCopyAsync(new CopyOrder(p.Number, null, null, s.Number))).Id);
        Assert.False(second.Result!["full"]!.GetValue<bool>());
        var m = await a.MirrorStateAsync(p.Number, s.Number);
        Assert.Equal(10L * Chunk, m.LastCopyBytes);  // the array's counter: exactly the 10 changed chunks
        Assert.Equal(10L * Chunk, second.BytesTotal);
        Assert.Equal(await a.Port(0).HashLunAsync(1), await a.Port(0).HashLunAsync(2));
    }

    [Fact]
    public async Task Kill_9_mid_copy_reports_failed_and_the_next_copy_is_full_and_correct()
    {
        const long size = 128L << 20;
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-MIDCOPY", dataPortCount: 1);
        var p = await a.Client.CreateVolumeAsync("128M");
        var s = await a.Client.CreateVolumeAsync("128M");
        await a.AssignAsync(p.Number, 1, readOnly: false);
        await a.AssignAsync(s.Number, 2, readOnly: true);
        var data = await a.Port(0).FillAsync(1, size, seed: 4);
        await a.Client.AddMirrorAsync(p.Number, s.Number);

        var job = await a.Client.StartCopyAsync(new CopyOrder(p.Number, null, null, s.Number));
        a.KillHard();  // the 202 means "in progress" is on disk; 128 MiB are far from copied
        await a.RestartAsync();

        var m = await a.MirrorStateAsync(p.Number, s.Number);
        Assert.Equal("failed", m.State);
        Assert.True(m.NextCopyFull);
        Assert.Contains("stopped during the copy", m.Detail);
        await HttpAssert.ExpectErrorAsync(await a.Http.GetAsync($"/v1/jobs/{job.Id}"), 404);  // jobs are not persisted

        var again = await a.WaitJobSucceededAsync((await a.Client.StartCopyAsync(new CopyOrder(p.Number, null, null, s.Number))).Id);
        Assert.True(again.Result!["full"]!.GetValue<bool>());
        m = await a.MirrorStateAsync(p.Number, s.Number);
        Assert.Equal("complete", m.State);
        Assert.False(m.NextCopyFull);
        Assert.Equal(LunData.Hash(data), await a.Port(0).NbdcopyHashAsync(2));
    }

    [Fact]
    public async Task Clean_restart_keeps_tracking_trusted_and_restore_copies_the_secondary_back()
    {
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-RESTORE", dataPortCount: 1);
        var p = await a.Client.CreateVolumeAsync("8M");
        var s = await a.Client.CreateVolumeAsync("8M");
        await a.AssignAsync(p.Number, 1, readOnly: false);
        await a.AssignAsync(s.Number, 2, readOnly: true);
        var data = await a.Port(0).FillAsync(1, 8L << 20, seed: 5);
        await a.Client.AddMirrorAsync(p.Number, s.Number);
        await a.WaitJobSucceededAsync((await a.Client.StartCopyAsync(new CopyOrder(p.Number, null, null, s.Number))).Id);

        // SIGTERM: a clean stop saves the change bitmaps as trusted.
        await a.StopCleanlyAsync();
        await a.RestartAsync();
        var m = await a.MirrorStateAsync(p.Number, s.Number);
        Assert.Equal("complete", m.State);
        Assert.False(m.NextCopyFull);

        // The primary is damaged; the restore refuses while a writer is connected, then copies back.
        await using (var w = await a.Port(0).ConnectAsync(1))
        {
            await w.WriteAsync(0, new byte[65536]);
            await w.FlushAsync();
            var refused = await HttpAssert.ExpectErrorAsync(await a.PostAsync("/v1/restores", new Snapcat.Contracts.Array.RestoreOrder(s.Number)), 409);
            Assert.Equal("restore.writers_connected", refused.Code);
        }
        var restore = await a.RestoreOnceWritersGoneAsync(s.Number);
        var done = await a.WaitJobSucceededAsync(restore.Id);
        Assert.Equal("mirror-restore", done.Kind);
        Assert.False(done.Result!["full"]!.GetValue<bool>());  // tracking was trusted: only what changed came back
        Assert.Equal(LunData.Hash(data), await a.Port(0).HashLunAsync(1));
    }
}
