
namespace Snapcat.Array.Tests.Daemon;

public sealed class ShutdownTests
{
    [Fact]
    public async Task Sigterm_stops_the_daemon_cleanly_and_frees_its_ports()
    {
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-TERM", dataPortCount: 1);
        await a.Client.CreateVolumeAsync("1M");
        (await TestKit.Tool.RunAsync("kill", ["-TERM", a.Process!.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])).EnsureSuccess("kill -TERM");
        Assert.Equal(0, await a.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("stopping", a.Process.Output);

        // The ports and the directory lock are free again: the same configuration starts at once.
        await a.RestartAsync();
        Assert.Single(await a.GetAsync<List<Snapcat.Contracts.Array.VolumeDto>>("/v1/volumes"));
    }
}
