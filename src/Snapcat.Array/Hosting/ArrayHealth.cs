using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Snapcat.Array.Volumes;
using Snapcat.ControlApi.Hosting;

namespace Snapcat.Array.Hosting;

/// <summary>
/// The array's <c>/healthz</c> checks (<see cref="HealthEndpoints"/>): <c>data_directory</c> (a file can be created in
/// the data directory) and <c>management_table</c> (the volume table answers a count). Either failing makes the array
/// failing (503): it can neither store host writes nor create or find volumes.
/// </summary>
public static class ArrayHealth
{
    public static IServiceCollection AddArrayHealthChecks(this IServiceCollection services, string dataDirectory, VolumeManager volumes)
    {
        services.AddHealthChecks()
            .AddCheck("data_directory", new DirectoryHealthCheck(dataDirectory, "data directory", writable: true), HealthStatus.Unhealthy,
                timeout: HealthEndpoints.CheckTimeout)
            .AddCheck("management_table", new TableCheck(volumes), HealthStatus.Unhealthy, timeout: HealthEndpoints.CheckTimeout);
        return services;
    }

    private sealed class TableCheck(VolumeManager volumes) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                long n = volumes.Count;
                return Task.FromResult(HealthCheckResult.Healthy($"the management table is open ({n} volumes)"));
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or ObjectDisposedException or IOException)
            {
                return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, $"the management table does not answer ({ex.GetType().Name})"));
            }
        }
    }
}
