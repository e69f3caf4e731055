using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Snapcat.Agent.Api;
using Snapcat.Array.Api;
using Snapcat.Array.Hosting;
using Snapcat.Nbd;

namespace Snapcat.Agent.Hosting;

/// <summary>The agent's web application: Kestrel on control.listen only, errors, bearer token, routes, OpenAPI.</summary>
public static class AgentApiHost
{
    public static WebApplication Build(AgentRuntime runtime, ILoggerFactory logs)
    {
        var config = runtime.Config;
        var listen = NbdAddress.Parse(config.Control.Listen);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "snapcat-agent" });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new LoggerProviderAdapter(logs));
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

        // The daemon handles SIGTERM/SIGINT itself (AgentDaemon), so that running jobs are cancelled
        // and their postprocesses run before the process ends.
        builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
        builder.WebHost.UseKestrel(k =>
        {
            foreach (var ip in ControlApiHost.Resolve(listen.Host))
                k.Listen(ip, listen.Port);
        });
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.AllowTrailingCommas = true);
        builder.Services.AddOpenApi();

        var app = builder.Build();
        // The array's error middleware: the same SnapcatException → ErrorKindHttp → ErrorBody mapping.
        app.UseMiddleware<ErrorMiddleware>();
        app.UseMiddleware<Snapcat.Array.Api.BearerTokenMiddleware>(config.Control.Token ?? "", "agent", "control.token of the agent's configuration");
        app.MapOpenApi();
        app.MapAgentApi(runtime, logs);
        return app;
    }

    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    private sealed class NoSignalLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class LoggerProviderAdapter(ILoggerFactory factory) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);
        public void Dispose() { }
    }
}
