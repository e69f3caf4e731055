using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Snapcat.Array.Api;
using Snapcat.Array.Config;
using Snapcat.Array.CopyFunctions;
using Snapcat.Array.Volumes;
using Snapcat.ControlApi.Hosting;
using Snapcat.ControlApi.Metrics;
using Snapcat.Nbd.Server;

namespace Snapcat.Array.Hosting;

/// <summary>The array's control API web application: the shared plumbing (<see cref="ControlApiApp"/>) and the array's routes.</summary>
public static class ControlApiHost
{
    public static WebApplication Build(LoadedArrayConfig config, VolumeManager volumes, ILoggerFactory? logs = null, CopyFunctionService? copy = null,
        NbdMetrics? nbd = null)
    {
        // The daemon handles SIGTERM/SIGINT itself (ArrayDaemon) so that shutdown order is ours.
        var builder = ControlApiApp.CreateBuilder("snapcat-array", config.ControlListen.Host, config.ControlListen.Port, logs, config.ControlTls);
        builder.Services.AddArrayHealthChecks(config.DataDirectory, volumes);
        var app = builder.Build();
        app.UseControlApi(new ControlAccess(config.Credentials, config.AuditFile), "array", "control.token of its configuration",
            e => e is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: StorageErrors.SqliteFull });
        app.MapArrayApi(volumes, copy);
        // FIG. 19 volume copy shares the copy functions' job registry (so /v1/jobs lists it) and
        // their device opener (so a snapshot can be a copy source).
        app.MapVolumeCopyApi(volumes, config.Peers, copy?.Jobs, copy is null ? null : copy.OpenExportDevice);
        var (registry, export) = ArrayMetrics.Create(volumes, copy, nbd);
        if (export is not null) app.Lifetime.ApplicationStopped.Register(export.Dispose);
        app.MapMetricsEndpoint(registry);
        return app;
    }
}
