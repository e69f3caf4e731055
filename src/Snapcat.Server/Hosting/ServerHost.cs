using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Snapcat.ControlApi.Hosting;
using Snapcat.ControlApi.Metrics;
using Snapcat.Server.Api;
using Snapcat.Server.Config;
using Snapcat.Server.Drift;
using Snapcat.Server.Import;
using Snapcat.Server.WebConsole;
using Snapcat.Server.Jobs;
using Snapcat.Server.Notifications;
using Snapcat.Server.Remote;
using Snapcat.Server.Scheduling;
using Snapcat.Server.Verify;

namespace Snapcat.Server.Hosting;

/// <summary>
/// A running backup server: catalog, runtime, operations, scheduler and control API. The daemon and
/// in-process tests both start it through <see cref="StartAsync"/>; disposal stops it in reverse order.
/// </summary>
public sealed class ServerHost : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private WebApplication? _api;
    private Task? _schedulerLoop;
    private Task? _reconcileLoop;
    private Task? _diskLoop;
    private Task? _verifyLoop;
    private Task? _stateLoop;
    private Task? _driftLoop;

    /// <summary>Made by <c>StartAsync</c> only, once the runtime, operations, scheduler and notifier exist.</summary>
    private ServerHost() { }

    public required ServerRuntime Runtime { get; init; }
    public required ServerOperations Operations { get; init; }
    public required BackupScheduler Scheduler { get; init; }
    /// <summary>Webhooks and e-mail of server.json's notifications section (docs/notifications.md).</summary>
    public required Notifier Notifier { get; init; }
    public string ControlUrl { get; private set; } = "";
    /// <summary>Verify jobs and the verify plans' scheduler (docs/verify.md).</summary>
    public VerifyOperations VerifyOperations { get; private init; } = null!;
    public VerifyPlanScheduler VerifyScheduler { get; private init; } = null!;
    /// <summary>The drift reconcile, its findings and fixes (docs/drift.md).</summary>
    public required DriftService Drift { get; init; }

    /// <summary>What each configured array says of itself (its data file system's space among it); arrays that do not answer are left out.</summary>
    private static async Task<IReadOnlyList<Snapcat.Contracts.Array.ArrayInfo>> ArrayInfosAsync(ServerRuntime rt, CancellationToken ct)
    {
        var list = new List<Snapcat.Contracts.Array.ArrayInfo>();
        foreach (string id in rt.Remotes.DeviceIds)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            try { list.Add(await rt.Remotes.ArrayFor(id).GetArrayAsync(timeout.Token).ConfigureAwait(false)); }
            catch (Exception ex) when (ex is SnapcatException or HttpRequestException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
            {
                // Unreachable now: looked at again at the next interval.
            }
        }
        return list;
    }

    public static async Task<ServerHost> StartAsync(LoadedServerConfig config, ILoggerFactory? logs = null, CancellationToken ct = default)
    {
        var catalog = await CatalogDatabase.OpenAsync(config.CatalogLocation, ct).ConfigureAwait(false);
        var tapes = config.TapeLibrary is { } t ? new Tape.TapeLibrary(t, log: logs?.CreateLogger<Tape.TapeLibrary>()) : null;
        var notifier = Notifier.FromSettings(config.Notifications, logs?.CreateLogger<Notifier>());
        if (tapes is not null) tapes.CartridgeDamaged += notifier.CartridgeDamaged;
        // A server killed mid tape write left a torn cartridge: cut it back before anything is served (issue 9.4).
        if (tapes is not null) await tapes.RecoverTailsAsync(ct).ConfigureAwait(false);
        var runtime = new ServerRuntime(catalog, new RemoteDirectory(config.Agents, config.Arrays), logs, tapes: tapes)
        {
            MinimumScheduleInterval = config.MinimumScheduleInterval ?? ServerRuntime.DefaultMinimumScheduleInterval,
        };
        var ops = new ServerOperations(runtime);
        var scheduler = new BackupScheduler(runtime.Definitions, ops, runtime.Time, runtime.Logs.CreateLogger<BackupScheduler>());
        runtime.Jobs.Finished += notifier.JobFinished;
        runtime.Jobs.Saved += runtime.StateCopies.JobSaved;
        scheduler.Event += notifier.ScheduleEvent;
        var verify = new VerifyOperations(runtime);
        var verifyScheduler = new VerifyPlanScheduler(runtime.VerifyPlans, verify, runtime.Time, runtime.Logs.CreateLogger<VerifyPlanScheduler>());
        runtime.Verifications.Recorded += notifier.VerifyRecorded;
        var drift = new DriftService(runtime, ops, config.Drift);
        drift.NewFindings += r => notifier.DriftFound("drift", DriftService.Summary(r), deviceId: string.Join(",", r.Findings.Where(f => r.New.Contains(f.Id)).Select(f => f.DeviceId).Distinct()));
        var host = new ServerHost { Runtime = runtime, Operations = ops, Scheduler = scheduler, Notifier = notifier, VerifyOperations = verify, VerifyScheduler = verifyScheduler, Drift = drift };
        try
        {
            // Before the API answers: a job left running by a crashed process is shown interrupted, never running.
            var reconciler = new JobReconciler(runtime);
            await reconciler.MarkInterruptedAsync(ct).ConfigureAwait(false);
            host._api = Build(config, runtime, ops, scheduler, logs, host);
            await host._api.StartAsync(ct).ConfigureAwait(false);
            host.ControlUrl = ControlApiApp.Addresses(host._api).FirstOrDefault() ?? $"http://{config.ControlListen}";
            host._schedulerLoop = Task.Run(() => scheduler.RunAsync(host._stop.Token), CancellationToken.None);
            host._reconcileLoop = Task.Run(() => reconciler.RunAsync(host._stop.Token), CancellationToken.None);
            host._verifyLoop = Task.Run(() => verifyScheduler.RunAsync(host._stop.Token), CancellationToken.None);
            if (config.StateCopy?.Enabled != false)
            {
                if (config.StateCopy?.DebounceSeconds is double d && d >= 0) runtime.StateCopies.Debounce = TimeSpan.FromSeconds(d);
                host._stateLoop = Task.Run(() => runtime.StateCopies.RunAsync(host._stop.Token), CancellationToken.None);
            }
            host._driftLoop = Task.Run(() => drift.RunScheduleAsync(host._stop.Token), CancellationToken.None);
            if (notifier.HasChannels)
                host._diskLoop = Task.Run(() => DiskSpaceWatch.For(config, notifier, logs, ct => ArrayInfosAsync(runtime, ct)).RunAsync(host._stop.Token), CancellationToken.None);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static WebApplication Build(LoadedServerConfig config, ServerRuntime rt, ServerOperations ops, BackupScheduler scheduler, ILoggerFactory? logs, ServerHost host)
    {
        var builder = ControlApiApp.CreateBuilder("snapcat-server", config.ControlListen.Host, config.ControlListen.Port, logs, config.ControlTls);
        builder.Services.AddServerHealthChecks(rt);
        builder.Services.AddWebConsole(rt.Time);   // the console's session cookie stands for a token (docs/console.md)
        var app = builder.Build();
        app.UseControlApi(new ControlAccess(config.Credentials, config.AuditFile), "backup server", "the control.token of server.json",
            e => e is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: StorageErrors.SqliteFull });
        StateCopy.StateCopyRefresh.UseStateCopyRefresh(app, rt);   // every successful change through the API refreshes the state copy (debounced)
        app.MapServerApi(rt, ops, scheduler);
        app.MapVerifyApi(rt, host.VerifyOperations, host.VerifyScheduler);
        app.MapJobEventStream(rt.Jobs);
        app.MapMetricsEndpoint(ServerMetrics.Create(rt));
        app.MapServerStatus(rt, ops, scheduler);
        app.MapDriftApi(host.Drift);
        app.MapImportApi(rt);
        app.MapWebConsole(rt);
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        // Stop taking requests, stop firing schedules, then close the catalog.
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_api is not null)
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _api.StopAsync(grace.Token).ConfigureAwait(false);
            await _api.DisposeAsync().ConfigureAwait(false);
        }
        foreach (var loop in new[] { _schedulerLoop, _reconcileLoop, _diskLoop, _verifyLoop, _stateLoop, _driftLoop })
        {
            if (loop is null) continue;
            try { await loop.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        await Notifier.DisposeAsync().ConfigureAwait(false);
        await Runtime.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
