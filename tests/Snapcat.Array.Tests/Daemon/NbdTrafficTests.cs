using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Daemon;

/// <summary>
/// The array's data ports seen by real NBD clients. TODO(after merge with the NBD server branch):
/// remove the Skip; on branch array-daemon Snapcat.Nbd.Server.NbdServer is a stub that only binds.
/// </summary>
public sealed class NbdTrafficTests
{

    [Fact]
    public async Task Nbdinfo_shows_size_and_inquiry_description_of_an_assigned_lun()
    {
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-NBD", dataPortCount: 1);
        var v = await a.Client.CreateVolumeAsync("16M");
        Assert.Equal(System.Net.HttpStatusCode.Created, (await a.AssignAsync(v.Number, a.DataPorts[0], 1)).StatusCode);
        var r = (await Tool.RunAsync("nbdinfo", [$"nbd://{a.DataPorts[0]}/1"])).EnsureSuccess("nbdinfo");
        Assert.Contains($"{16L << 20}", r.Stdout);
        Assert.Contains($"snapcat-array device-id=ARRAY-NBD volume={v.Number}", r.Stdout);

        var list = (await Tool.RunAsync("nbdinfo", ["--list", $"nbd://{a.DataPorts[0]}"])).EnsureSuccess("nbdinfo --list");
        Assert.Contains($"volume={v.Number}", list.Stdout);
    }

    [Fact]
    public async Task Data_written_over_nbd_survives_kill_9_after_flush_and_read_only_lun_refuses_writes()
    {
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-NBD2", dataPortCount: 1);
        var v = await a.Client.CreateVolumeAsync("4M");
        await a.AssignAsync(v.Number, a.DataPorts[0], 1);
        await a.AssignAsync(v.Number, a.DataPorts[0], 2, readOnly: true);
        string src = Path.Combine(a.Dir, "src.img");
        byte[] data = new byte[4 << 20];
        Random.Shared.NextBytes(data);
        await File.WriteAllBytesAsync(src, data);
        (await Tool.RunAsync("nbdcopy", [src, $"nbd://{a.DataPorts[0]}/1"])).EnsureSuccess("nbdcopy in");   // nbdcopy flushes at the end
        a.KillHard();
        await a.RestartAsync();
        string back = Path.Combine(a.Dir, "back.img");
        (await Tool.RunAsync("nbdcopy", [$"nbd://{a.DataPorts[0]}/2", back])).EnsureSuccess("nbdcopy out");
        Assert.Equal(data, await File.ReadAllBytesAsync(back));
        var denied = await Tool.RunAsync("nbdcopy", [src, $"nbd://{a.DataPorts[0]}/2"]);
        Assert.NotEqual(0, denied.ExitCode);
    }
}
