using Microsoft.Extensions.Logging;
using Snapcat.Server.Catalog;
using Snapcat.Server.Jobs;
using Snapcat.Server.Remote;

namespace Snapcat.Server.Hosting;

/// <summary>
/// What the flow handlers share: the catalog's tables, the agents and arrays of the configuration, and
/// the job list. One per server process; tests build one over a real catalog and real peers.
/// </summary>
public sealed class ServerRuntime : IAsyncDisposable
{
    public ServerRuntime(CatalogDatabase catalog, RemoteDirectory remotes, ILoggerFactory? logs = null, TimeProvider? time = null)
    {
        Catalog = catalog;
        Remotes = remotes;
        Time = time ?? TimeProvider.System;
        Logs = logs ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        Data = new BackupDataStore(catalog);
        Definitions = new BackupDefinitionStore(catalog);
        Volumes = new BackupVolumeStore(catalog);
        History = new JobHistoryStore(catalog);
        Jobs = new ServerJobs(History, Logs.CreateLogger<ServerJobs>(), Time);
    }

    public CatalogDatabase Catalog { get; }
    public RemoteDirectory Remotes { get; }
    public TimeProvider Time { get; }
    public ILoggerFactory Logs { get; }
    public BackupDataStore Data { get; }
    public BackupDefinitionStore Definitions { get; }
    public BackupVolumeStore Volumes { get; }
    public JobHistoryStore History { get; }
    public ServerJobs Jobs { get; }

    public async ValueTask DisposeAsync()
    {
        Remotes.Dispose();
        await Catalog.DisposeAsync().ConfigureAwait(false);
    }
}
