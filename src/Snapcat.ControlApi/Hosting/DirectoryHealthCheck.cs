using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Snapcat.ControlApi.Hosting;

/// <summary>
/// A directory a daemon needs: it must exist and be listable, and with <paramref name="writable"/> a small file must be
/// creatable and removable in it (a full or read-only file system fails). <paramref name="what"/> names it in the
/// description ("data directory"); the path itself is not shown.
/// </summary>
public sealed class DirectoryHealthCheck(string path, string what, bool writable) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            if (!Directory.Exists(path))
                return new HealthCheckResult(context.Registration.FailureStatus, $"the {what} does not exist");
            using (var entries = Directory.EnumerateFileSystemEntries(path).GetEnumerator()) entries.MoveNext();
            if (!writable) return HealthCheckResult.Healthy($"the {what} is reachable");
            string probe = System.IO.Path.Combine(path, $".healthz-{Environment.ProcessId}-{Guid.NewGuid():N}");
            try
            {
                await File.WriteAllBytesAsync(probe, [1], cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                File.Delete(probe);
            }
            return HealthCheckResult.Healthy($"the {what} is writable");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus,
                writable ? $"the {what} is not writable ({ex.GetType().Name})" : $"the {what} cannot be read ({ex.GetType().Name})");
        }
    }
}
