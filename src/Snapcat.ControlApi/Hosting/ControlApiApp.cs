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
using Snapcat.Core.Json;
using Snapcat.Core.Security;
using Snapcat.Core.Tls;

namespace Snapcat.ControlApi.Hosting;

/// <summary>
/// The web application plumbing the three daemons share: Kestrel on the control address only, the
/// daemon's own logger, no signal handling of its own (each daemon stops in its own order, see
/// <see cref="DaemonLifetime"/>), strict request binding, OpenAPI; then the error and bearer-token
/// middlewares in front of the routes. A daemon adds only its routes between the two calls.
/// </summary>
public static partial class ControlApiApp
{
    /// <param name="tls">The HTTPS certificate and key; null serves plain HTTP, which a configuration asks for with
    /// <c>"insecure": true</c> only (the loaders refuse a control section with neither). A certificate that cannot be
    /// loaded is a <c>config.tls_*</c> error naming the file, before anything listens.</param>
    public static WebApplicationBuilder CreateBuilder(string applicationName, string listenHost, int listenPort, ILoggerFactory? logs, ControlTls? tls)
    {
        var certificate = tls?.Load();
        // The fingerprint in the log: what an administrator pins in the peers' configurations.
        if (certificate is not null && logs is not null)
            LogHttps(logs.CreateLogger("snapcat.control"), certificate.Subject, CertificateFingerprint.Show(certificate),
                certificate.NotAfter.ToUniversalTime(), tls!.CertificateFile);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = applicationName });
        builder.Logging.ClearProviders();
        if (logs is not null) builder.Logging.AddProvider(new FactoryProvider(logs));
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

        builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
        builder.WebHost.UseKestrel(k =>
        {
            foreach (var ip in Resolve(listenHost))
                k.Listen(ip, listenPort, o =>
                {
                    if (certificate is not null) o.UseHttps(certificate);
                });
        });
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        // The one enum encoding (SnapcatJson): a job state is "failed" here as in the event stream and the CLI, not 3.
        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.AllowTrailingCommas = true;
            SnapcatJson.Apply(o.SerializerOptions);
        });
        builder.Services.AddOpenApi();
        // GET /healthz (HealthEndpoints): each daemon adds its checks with builder.Services.AddHealthChecks().AddCheck(...).
        builder.Services.AddHealthChecks();
        return builder;
    }

    /// <summary>
    /// Errors first (a <c>SnapcatException</c> anywhere becomes its status and <c>ErrorBody</c>), then the token;
    /// <paramref name="service"/> names the daemon in refusals, <paramref name="tokenHint"/> says where its token is set,
    /// <paramref name="isStorageFull"/> recognises a full disk in a driver's own exception (see <see cref="ErrorMiddleware"/>).
    /// One admin credential and no audit log: see the overload with <see cref="ControlAccess"/>.
    /// </summary>
    public static WebApplication UseControlApi(this WebApplication app, string token, string service, string tokenHint,
        Func<Exception, bool>? isStorageFull = null) =>
        app.UseControlApi(new ControlAccess([new Credential(Credential.ControlTokenName, token, CredentialRole.Admin)], null), service, tokenHint, isStorageFull);

    /// <summary>
    /// The audit log first when <see cref="ControlAccess.AuditFile"/> is set (it must see the final status of every
    /// answer, see <see cref="AuditMiddleware"/>), then errors (a <c>SnapcatException</c> anywhere becomes its status and
    /// <c>ErrorBody</c>), then the credentials and the routes' roles (<see cref="BearerTokenMiddleware"/>), and
    /// <c>GET /v1/audit?since=</c> (admin) over the audit log.
    /// <paramref name="service"/> names the daemon in refusals, <paramref name="tokenHint"/> says where its token is set,
    /// <paramref name="isStorageFull"/> recognises a full disk in a driver's own exception (see <see cref="ErrorMiddleware"/>).
    /// </summary>
    public static WebApplication UseControlApi(this WebApplication app, ControlAccess access, string service, string tokenHint,
        Func<Exception, bool>? isStorageFull = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(access);
        // Unauthenticated and in front of everything: a monitor without a token asks whether the daemon can work.
        app.UseHealthEndpoint();
        AuditLogFile? audit = access.AuditFile is null ? null : new AuditLogFile(access.AuditFile);
        if (audit is not null)
        {
            app.Lifetime.ApplicationStopped.Register(audit.Dispose);
            app.UseMiddleware<AuditMiddleware>(audit);
        }
        if (isStorageFull is null) app.UseMiddleware<ErrorMiddleware>();
        else app.UseMiddleware<ErrorMiddleware>(isStorageFull);
        app.UseMiddleware<BearerTokenMiddleware>(access.Credentials, service, tokenHint);
        app.MapOpenApi();
        if (audit is not null) app.MapAuditApi(audit.Path);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "control API serves HTTPS with {Subject}, SHA-256 fingerprint {Fingerprint}, valid until {NotAfter:u} ({File})")]
    private static partial void LogHttps(ILogger logger, string subject, string fingerprint, DateTime notAfter, string file);

    private sealed class NoSignalLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class FactoryProvider(ILoggerFactory factory) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);
        public void Dispose() { }
    }
}
