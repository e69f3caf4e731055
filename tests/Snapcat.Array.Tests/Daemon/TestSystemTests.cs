
namespace Snapcat.Array.Tests.Daemon;

/// <summary>The test system builder itself: port 0 everywhere, real ports reported and kept across a kill -9.</summary>
public sealed class TestSystemTests
{
    [Fact]
    public async Task Daemons_bind_port_zero_report_real_ports_and_come_back_on_them_after_kill_9()
    {
        await using var sys = new SnapcatSystem("builder");
        var array = sys.AddArray("ARRAY-TS1");
        var volume = array.AddVolume("4M", port: 0, lun: 1);
        var agent = sys.AddAgent("ts-host").Protect("/srv/ts", "/dev/nbd0", array.Port(0), 1);
        sys.AddServer();
        await sys.StartAsync();

        Assert.All(array.DataPorts, p => Assert.DoesNotMatch(":0$", p));
        Assert.NotEqual(0, array.ControlUrl.Port);
        var info = await array.Client.GetArrayAsync();
        Assert.Equal(array.DataPorts, info.DataPorts.Select(p => p.Address));
        Assert.Equal(1u, (await array.Client.GetLunAsync(array.DataPorts[0], 1)).Volume);
        Assert.Equal(agent.HostName, (await agent.Client.GetAgentAsync()).Host);
        Assert.Contains(agent.HostName, (await sys.Server.Client.GetServerAsync()).Hosts);

        var before = (array.ControlUrl, string.Join(",", array.DataPorts));
        array.KillHard();
        await array.RestartAsync();
        Assert.Equal(before, (array.ControlUrl, string.Join(",", array.DataPorts)));
        Assert.Equal(volume.RequireNumber(), (await array.Client.GetVolumeAsync(volume.RequireNumber())).Number);
    }
}
