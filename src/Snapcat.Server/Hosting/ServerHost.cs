using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Snapcat.Array.Api;
using Snapcat.Array.Hosting;
using Snapcat.Server.Api;
using Snapcat.Server.Catalog;
using Snapcat.Server.Config;
using Snapcat.Server.Jobs;
using Snapcat.Server.Remote;
using Snapcat.Server.Scheduling;

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

    private ServerHost(ServerRuntime runtime, ServerOperations ops, BackupScheduler scheduler)
    {
        Runtime = runtime;
        Operations = ops;
        Scheduler = scheduler;
    }

    public ServerRuntime Runtime { get; }
    public ServerOperations Operations { get; }
    public BackupScheduler Scheduler { get; }
    public string ControlUrl { get; private set; } = "";

    public static async Task<ServerHost> StartAsync(LoadedServerConfig config, ILoggerFactory? logs = null, CancellationToken ct = default)
    {
        var catalog = await CatalogDatabase.OpenAsync(config.CatalogLocation, ct).ConfigureAwait(false);
        var tapes = config.TapeLibrary is { } t ? new Tape.TapeLibrary(t, log: logs?.CreateLogger<Tape.TapeLibrary>()) : null;
        // A server killed mid tape write left a torn cartridge: cut it back before anything is served (issue 9.4).
        if (tapes is not null) await tapes.RecoverTailsAsync(ct).ConfigureAwait(false);
        var runtime = new ServerRuntime(catalog, new RemoteDirectory(config.Agents, config.Arrays), logs, tapes: tapes)
        {
            MinimumScheduleInterval = config.MinimumScheduleInterval ?? ServerRuntime.DefaultMinimumScheduleInterval,
        };
        var ops = new ServerOperations(runtime);
        var scheduler = new BackupScheduler(runtime.Definitions, ops, runtime.Time);
        var host = new ServerHost(runtime, ops, scheduler);
        try
        {
            // Before the API answers: a job left running by a crashed process is shown interrupted, never running.
            var reconciler = new JobReconciler(runtime);
            await reconciler.MarkInterruptedAsync(ct).ConfigureAwait(false);
            host._api = Build(config, runtime, ops, scheduler, logs);
            await host._api.StartAsync(ct).ConfigureAwait(false);
            host.ControlUrl = ControlApiHost.Addresses(host._api).FirstOrDefault() ?? $"http://{config.ControlListen}";
            host._schedulerLoop = Task.Run(() => scheduler.RunAsync(host._stop.Token), CancellationToken.None);
            host._reconcileLoop = Task.Run(() => reconciler.RunAsync(host._stop.Token), CancellationToken.None);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static WebApplication Build(LoadedServerConfig config, ServerRuntime rt, ServerOperations ops, BackupScheduler scheduler, ILoggerFactory? logs)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "snapcat-server" });
        builder.Logging.ClearProviders();
        if (logs is not null) builder.Logging.AddProvider(new FactoryProvider(logs));
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
        builder.WebHost.UseKestrel(k =>
        {
            foreach (var ip in ControlApiHost.Resolve(config.ControlListen.Host))
                k.Listen(ip, config.ControlListen.Port);
        });
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.AllowTrailingCommas = true);
        builder.Services.AddOpenApi();

        var app = builder.Build();
        app.UseMiddleware<ErrorMiddleware>();
        app.UseMiddleware<Snapcat.Array.Api.BearerTokenMiddleware>(config.Token, "backup server", "the control.token of server.json");
        app.MapOpenApi();
        app.MapServerApi(rt, ops, scheduler);
        app.MapJobEventStream(rt.Jobs);
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
        foreach (var loop in new[] { _schedulerLoop, _reconcileLoop })
        {
            if (loop is null) continue;
            try { await loop.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        await Runtime.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private sealed class FactoryProvider(ILoggerFactory factory) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);
        public void Dispose() { }
    }

    private sealed class NoSignalLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
