using Snapcat.Server.Api;
using Snapcat.Server.Config;
using Snapcat.Server.Hosting;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Fixtures;

/// <summary>
/// A real array child process, a fake agent for host "db01" (mount point /data on volume 1) and the
/// backup server in process on an SQLite catalog in a temp folder. Restartable, and the catalog file
/// can be deleted in between (catalog loss).
/// </summary>
public sealed class ServerFixture : IAsyncDisposable
{
    public const string Token = "server-token-1a4f";
    public const string Host = "db01";

    private ServerFixture(TempDir dir, ArrayProcess array, FakeAgent agent)
    {
        Dir = dir;
        Array = array;
        Agent = agent;
    }

    public TempDir Dir { get; }
    public ArrayProcess Array { get; }
    public FakeAgent Agent { get; }
    public ServerHost Server { get; private set; } = null!;
    public ServerClient Client { get; private set; } = null!;
    public string CatalogPath => Dir.Combine("catalog.db");

    public LoadedServerConfig Config(int port) => new(
        Dir.Combine("server.json"), new Snapcat.Nbd.NbdAddress("127.0.0.1", port), Token, CatalogPath,
        new Dictionary<string, RemoteEndpoint> { [Host] = new(Agent.Url, FakeAgent.Token) },
        new Dictionary<string, RemoteEndpoint> { [Array.DeviceId] = new(Array.Url, ArrayProcess.Token) },
        // Schedule tests fire every two seconds; the one-minute default minimum is for production.
        MinimumScheduleInterval: TimeSpan.FromSeconds(1));

    public static async Task<ServerFixture> StartAsync()
    {
        var array = await ArrayProcess.StartAsync();
        await array.SetUpPrimaryWithMirrorsAsync();
        var agent = new FakeAgent(Host, array, new Dictionary<string, uint> { ["/data"] = 1 });
        await agent.StartAsync();
        var f = new ServerFixture(new TempDir("server"), array, agent);
        await f.StartServerAsync();
        return f;
    }

    public async Task StartServerAsync()
    {
        Server = await ServerHost.StartAsync(Config(FreePort.Next()));
        Client = new ServerClient(new Uri(Server.ControlUrl), Token);
    }

    public async Task StopServerAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>Catalog loss: the server stops and its SQLite file (with WAL and shared memory) is deleted.</summary>
    public async Task LoseCatalogAsync()
    {
        await StopServerAsync();
        foreach (string suffix in new[] { "", "-wal", "-shm" })
            File.Delete(CatalogPath + suffix);
        Assert.False(File.Exists(CatalogPath));
    }

    public static DefinitionDto Mirror(string name, uint volume = 2, string label = "nightly") => new()
    {
        Name = name, Host = Host, MountPoint = "/data", Kind = "mirror", DeviceId = "ARRAY-S1", DestinationVolume = volume, Label = label,
    };

    public static DefinitionDto Snapshot(string name, int keep = 2, string label = "hourly") => new()
    {
        Name = name, Host = Host, MountPoint = "/data", Kind = "snapshot", DeviceId = "ARRAY-S1", KeepGenerations = keep, Label = label,
    };

    public async Task<Snapcat.Core.Jobs.JobSnapshot> RunAsync(string definition)
    {
        var job = await Client.RunDefinitionAsync(definition);
        var final = await Client.WaitForJobAsync(job.Id, timeout: TimeSpan.FromSeconds(60));
        return ServerClient.EnsureSucceeded(final);
    }

    public async ValueTask DisposeAsync()
    {
        try { await StopServerAsync(); } catch (ObjectDisposedException) { }
        await Agent.DisposeAsync();
        await Array.DisposeAsync();
        Dir.Dispose();
    }
}
