using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Snapcat.Array.Api;
using Snapcat.Array.Config;
using Snapcat.Array.CopyFunctions;
using Snapcat.Array.Volumes;

namespace Snapcat.Array.Hosting;

/// <summary>Builds the control API web application: Kestrel on the control address only, auth, errors, routes, OpenAPI.</summary>
public static class ControlApiHost
{
    public static WebApplication Build(LoadedArrayConfig config, VolumeManager volumes, ILoggerProvider? logs = null, CopyFunctionService? copy = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "snapcat-array" });
        builder.Logging.ClearProviders();
        if (logs is not null) builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

        // The daemon handles SIGTERM/SIGINT itself (ArrayDaemon) so that shutdown order is ours.
        builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
        builder.WebHost.UseKestrel(k =>
        {
            foreach (var ip in Resolve(config.ControlListen.Host))
                k.Listen(ip, config.ControlListen.Port);
        });
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.AllowTrailingCommas = true);
        builder.Services.AddOpenApi();

        var app = builder.Build();
        app.UseMiddleware<ErrorMiddleware>();
        app.UseMiddleware<BearerTokenMiddleware>(config.Token);
        app.MapOpenApi();
        app.MapArrayApi(volumes, copy);
        // FIG. 19 volume copy shares the copy functions' job registry (so /v1/jobs lists it) and
        // their device opener (so a snapshot can be a copy source).
        app.MapVolumeCopyApi(volumes, config.Peers, copy?.Jobs, copy is null ? null : copy.OpenExportDevice);
        return app;
    }

    /// <summary>The control URLs Kestrel really listens on (after start).</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    public static IPAddress[] Resolve(string host)
    {
        if (IPAddress.TryParse(host, out var ip)) return [ip];
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return [IPAddress.Loopback];
        var all = Dns.GetHostAddresses(host);
        if (all.Length == 0) throw new InvalidOperationException($"host name {host} does not resolve");
        return [all[0]];
    }

    private sealed class NoSignalLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
