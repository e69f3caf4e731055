using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Snapcat.Server.StateCopy;

/// <summary>Hooks the state copy into the control API: a refresh after every successful change.</summary>
public static class StateCopyRefresh
{
    /// <summary>
    /// After each successful POST, PUT, PATCH or DELETE (definitions, the backup volume table, protection, …) a refresh is
    /// requested; the service coalesces a burst into one write. A job started by the request refreshes again when it ends.
    /// </summary>
    public static IApplicationBuilder UseStateCopyRefresh(this IApplicationBuilder app, ServerRuntime rt)
    {
        ArgumentNullException.ThrowIfNull(rt);
        return app.Use(async (context, next) =>
        {
            await next(context).ConfigureAwait(false);
            if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)
                && context.Response.StatusCode is >= 200 and < 300 && context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal))
                rt.StateCopies.Request();
        });
    }
}

/// <summary><c>/healthz</c> check <c>state_copy</c>: degraded while the last write of the state copy failed (it is retried).</summary>
public sealed class StateCopyHealthCheck(StateCopyService copies) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? error = copies.LastError;
        return Task.FromResult(error is null
            ? HealthCheckResult.Healthy("the last state copy was written (or none was due)")
            : new HealthCheckResult(context.Registration.FailureStatus, "the last state copy write failed and is retried: " + error));
    }
}
