using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Snapcat.TestKit;

/// <summary>
/// A peer played by the test process: Kestrel on 127.0.0.1 port 0 (the kernel picks the port at bind, so no
/// other test can take it first, and nothing binds when it closes), with the routes the test maps. Stands in for
/// what a real daemon cannot be made to do (a webhook receiver, a stream that breaks, error bodies of a contract).
/// </summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackHttpServer(WebApplication app, string url) => (_app, Url) = (app, url);

    /// <summary>The base address without a trailing slash, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Url { get; }

    /// <param name="map">Maps the routes (<c>app.MapGet</c>, or <c>app.Run</c> for one handler of every request).</param>
    /// <param name="certificate">Serve HTTPS with it; null: plain HTTP.</param>
    public static async Task<LoopbackHttpServer> StartAsync(Action<WebApplication> map, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, o =>
        {
            if (certificate is not null) o.UseHttps(certificate);
        }));
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new LoopbackHttpServer(app, address.TrimEnd('/'));
    }

    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
    }
}
