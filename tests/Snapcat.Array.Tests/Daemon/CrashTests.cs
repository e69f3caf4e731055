using System.Collections.Concurrent;
using System.Net;
using Snapcat.Contracts.Array;

namespace Snapcat.Array.Tests.Daemon;

public sealed class CrashTests
{
    /// <summary>
    /// kill -9 during a burst of API writes; after restart on the same data directory every change the
    /// API acknowledged is there. Unacknowledged ones may or may not be, but never half.
    /// </summary>
    [Fact]
    public async Task Kill_9_during_writes_keeps_every_acknowledged_change()
    {
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-CRASH", dataPortCount: 1);
        string port = a.DataPorts[0];
        var created = new ConcurrentDictionary<uint, long>();
        var assigned = new ConcurrentDictionary<uint, uint>();      // volume -> lun
        var infos = new ConcurrentDictionary<uint, byte[]>();
        int lunSeed = 0;
        using var stop = new CancellationTokenSource();

        async Task Writer(int id)
        {
            var rnd = new Random(id);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var v = await a.Client.CreateVolumeAsync($"{rnd.Next(1, 64)}M");
                    created[v.Number] = v.Size;
                    uint lun = (uint)Interlocked.Increment(ref lunSeed);
                    if ((await a.AssignAsync(v.Number, port, lun)).StatusCode == HttpStatusCode.Created)
                        assigned[v.Number] = lun;
                    byte[] info = new byte[512];
                    rnd.NextBytes(info);
                    if ((await a.PutInfoAsync(v.Number, info)).StatusCode == HttpStatusCode.NoContent)
                        infos[v.Number] = info;
                }
                catch (Exception) when (stop.IsCancellationRequested || a.Process!.HasExited)
                {
                    return;  // the daemon is gone: what was acknowledged is recorded above
                }
                catch (HttpRequestException)
                {
                    return;
                }
                catch (Snapcat.Core.Errors.SnapcatException e) when (e.Code == "array.unreachable")
                {
                    // The typed client's word for a connection cut by the kill, seen before the process is reaped.
                    return;
                }
            }
        }

        var writers = Enumerable.Range(0, 4).Select(Writer).ToArray();
        await TestKit.Poll.UntilAsync(() => created.Count >= 20, TimeSpan.FromSeconds(60), "20 volumes created before the kill");
        a.KillHard();
        stop.Cancel();
        await Task.WhenAll(writers);

        await a.RestartAsync();
        var after = (await a.GetAsync<List<VolumeDto>>("/v1/volumes?info=true")).ToDictionary(v => v.Number);
        foreach (var (n, size) in created)
        {
            Assert.True(after.TryGetValue(n, out var v), $"acknowledged volume {n} is gone after kill -9");
            Assert.Equal(size, v!.Size);
            Assert.True(File.Exists(Path.Combine(a.DataPath, "volumes", $"{n:D6}.vol")));
        }
        foreach (var (n, lun) in assigned)
            Assert.Contains(new AssignmentDto(port, lun, false), after[n].Assignments);
        foreach (var (n, info) in infos)
            Assert.Equal(Convert.ToBase64String(info), after[n].VolumeInfo);

        // Every file on disk has its row (orphans from an interrupted create were swept at start).
        var files = Directory.GetFiles(Path.Combine(a.DataPath, "volumes")).Select(f => Path.GetFileName(f)!).ToHashSet();
        Assert.Equal(after.Keys.Select(n => $"{n:D6}.vol").ToHashSet(), files);

        // And the restarted array keeps working, numbering past everything it handed out.
        var next = await a.Client.CreateVolumeAsync("1M");
        Assert.True(next.Number > created.Keys.Max());
    }

    [Fact]
    public async Task Restart_after_clean_stop_keeps_state_and_a_second_daemon_on_the_same_directory_is_refused()
    {
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-RESTART", dataPortCount: 1);
        var v = await a.Client.CreateVolumeAsync("8M");
        Assert.Equal(HttpStatusCode.Created, (await a.AssignAsync(v.Number, a.DataPorts[0], 3, readOnly: true)).StatusCode);

        var second = await TestKit.SnapcatBinary.RunAsync(["array", "serve", "--config", a.ConfigPath], TimeSpan.FromSeconds(60));
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("in use by another array daemon", second.Stderr);

        await a.RestartAsync();
        var shown = await a.Client.GetVolumeAsync(v.Number);
        Assert.Equal([new AssignmentDto(a.DataPorts[0], 3, true)], shown.Assignments);
    }
}
