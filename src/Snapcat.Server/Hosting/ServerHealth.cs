using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Snapcat.ControlApi.Hosting;

namespace Snapcat.Server.Hosting;

/// <summary>
/// The backup server's <c>/healthz</c> checks (<see cref="HealthEndpoints"/>): <c>catalog</c> (one cheap read of a
/// catalog table, SQLite or PostgreSQL; failing makes the server failing, 503: no backup can be recorded) and, with a
/// tape library, <c>tape_library</c> (its directory can be listed; failing there only degrades the server, since
/// array backups and restores still work).
/// </summary>
public static class ServerHealth
{
    public static IServiceCollection AddServerHealthChecks(this IServiceCollection services, ServerRuntime rt)
    {
        ArgumentNullException.ThrowIfNull(rt);
        var checks = services.AddHealthChecks()
            .AddCheck("catalog", new CatalogCheck(new CatalogStatistics(rt.Catalog), rt.Catalog.Dialect), HealthStatus.Unhealthy,
                timeout: HealthEndpoints.CheckTimeout);
        checks.AddCheck("state_copy", new StateCopy.StateCopyHealthCheck(rt.StateCopies), HealthStatus.Degraded, timeout: HealthEndpoints.CheckTimeout);
        if (rt.Tapes is { } tapes)
            checks.AddCheck("tape_library", new DirectoryHealthCheck(tapes.Config.Directory, "tape library directory", writable: false),
                HealthStatus.Degraded, timeout: HealthEndpoints.CheckTimeout);
        return services;
    }

    private sealed class CatalogCheck(CatalogStatistics stats, CatalogDialect dialect) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            string which = dialect == CatalogDialect.Postgres ? "PostgreSQL" : "SQLite";
            try
            {
                long n = await stats.CountDefinitionsAsync(cancellationToken).ConfigureAwait(false);
                return HealthCheckResult.Healthy($"the {which} catalog answers ({n} definitions)");
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or IOException or SnapcatException)
            {
                // The type and the database's own error code, never its message: a PostgreSQL message may name hosts and users.
                string code = ex switch
                {
                    Microsoft.Data.Sqlite.SqliteException s => $", SQLite error {s.SqliteErrorCode}",
                    Npgsql.PostgresException p => $", SQLSTATE {p.SqlState}",
                    _ => "",
                };
                return new HealthCheckResult(context.Registration.FailureStatus, $"the {which} catalog does not answer ({ex.GetType().Name}{code})");
            }
        }
    }
}
