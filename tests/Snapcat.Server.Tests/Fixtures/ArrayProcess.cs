using Snapcat.Array.Api;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Fixtures;

/// <summary>A real array daemon (<c>snapcat array serve</c>) in a child process on free loopback ports, with its client.</summary>
public sealed class ArrayProcess : IAsyncDisposable
{
    public const string Token = "array-token-5c1e";

    private ArrayProcess(TempDir dir, string deviceId, int controlPort, string dataPort, ChildProcess process)
    {
        Dir = dir;
        DeviceId = deviceId;
        Url = new Uri($"http://127.0.0.1:{controlPort}");
        DataPort = dataPort;
        Process = process;
        Client = new ArrayClient(Url, Token);
    }

    public TempDir Dir { get; }
    public string DeviceId { get; }
    public Uri Url { get; }
    public string DataPort { get; }
    public ChildProcess Process { get; }
    public ArrayClient Client { get; }

    public static async Task<ArrayProcess> StartAsync(string deviceId = "ARRAY-S1")
    {
        var dir = new TempDir("srv-array");
        int control = FreePort.Next();
        string data = $"127.0.0.1:{FreePort.Next()}";
        string config = dir.Combine("array.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "deviceId": "{{deviceId}}",
              "dataDirectory": "data",
              "control": { "listen": "127.0.0.1:{{control}}", "token": "{{Token}}" },
              "dataPorts": [ { "listen": "{{data}}" } ]
            }
            """);
        var p = SnapcatBinary.Start("array", "serve", "--config", config);
        await Poll.UntilAsync(() => p.Output.Contains($"snapcat array {deviceId} ready:") || p.HasExited, TimeSpan.FromSeconds(60), "the array's ready line");
        if (p.HasExited) throw new InvalidOperationException("array daemon exited during start:\n" + p.Output);
        return new ArrayProcess(dir, deviceId, control, data, p);
    }

    /// <summary>A primary (1) with mirror secondaries 2 and 3 in its copy destination list, and a spare volume 4, all 4 MiB.</summary>
    public async Task SetUpPrimaryWithMirrorsAsync()
    {
        for (int i = 0; i < 4; i++) await Client.CreateVolumeAsync("4M");
        await Client.AddMirrorAsync(1, 2);
        await Client.AddMirrorAsync(1, 3);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Process.DisposeAsync();
        Dir.Dispose();
    }
}
