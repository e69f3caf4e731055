using Microsoft.Extensions.Logging;
using Snapcat.Server.Jobs;
using Snapcat.Server.Remote;
using Snapcat.Server.Tape;

namespace Snapcat.Server.Hosting;

/// <summary>
/// What the flow handlers share: the catalog's tables, the agents and arrays of the configuration, the tape
/// library (optional) and the job list. One per server process; tests build one over a real catalog and real peers.
/// </summary>
public sealed class ServerRuntime : IAsyncDisposable
{
    public ServerRuntime(CatalogDatabase catalog, RemoteDirectory remotes, ILoggerFactory? logs = null, TimeProvider? time = null, TapeLibrary? tapes = null)
    {
        Tapes = tapes;
        Catalog = catalog;
        Remotes = remotes;
        Time = time ?? TimeProvider.System;
        Logs = logs ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        Data = new BackupDataStore(catalog);
        Definitions = new BackupDefinitionStore(catalog);
        Volumes = new BackupVolumeStore(catalog);
        History = new JobHistoryStore(catalog);
        Jobs = new ServerJobs(History, Logs.CreateLogger<ServerJobs>(), Time);
        Verifications = new Verify.VerifyHistoryStore(catalog);
        VerifyPlans = new Verify.VerifyPlanStore(catalog);
        StateCopies = new StateCopy.StateCopyService(this);
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
    /// <summary>The verify history and the verify plans (issue 13, docs/verify.md).</summary>
    public Verify.VerifyHistoryStore Verifications { get; }
    public Verify.VerifyPlanStore VerifyPlans { get; }

    /// <summary>The server's state copy on the arrays and tapes (docs/disaster-recovery.md).</summary>
    public StateCopy.StateCopyService StateCopies { get; }

    /// <summary>Schedules that fire more often are refused (issue 9.11): server.json scheduling.minimumIntervalSeconds.</summary>
    public TimeSpan MinimumScheduleInterval { get; init; } = DefaultMinimumScheduleInterval;

    public static readonly TimeSpan DefaultMinimumScheduleInterval = TimeSpan.FromMinutes(1);

    /// <summary>The tape library of the configuration's <c>tapeLibrary</c> section; null when none is configured.</summary>
    public TapeLibrary? Tapes { get; }

    public TapeLibrary TapeLibraryOrThrow() => Tapes ?? throw new SnapcatException(ErrorKind.Invalid, "tape.no_library",
        "the server configuration has no tape library; add a \"tapeLibrary\" section to server.json and restart the server");

    public async ValueTask DisposeAsync()
    {
        Remotes.Dispose();
        Tapes?.Dispose();
        await Catalog.DisposeAsync().ConfigureAwait(false);
    }
}
