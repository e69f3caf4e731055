using System.Globalization;
using Snapcat.Core.Storage;
using Snapcat.Server.Scheduling;

namespace Snapcat.Server.Notifications;

// The server's events as notifications: what each kind carries in its details (docs/notifications.md).
public sealed partial class Notifier
{
    /// <summary>A job reached its final state; a failed one is <see cref="NotificationKind.RunFailed"/> (cancelled is not).</summary>
    public void JobFinished(JobSnapshot job, string? definition)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.State != JobState.Failed) return;
        Publish(NotificationKind.RunFailed, definition ?? job.Description, new Dictionary<string, string?>
        {
            ["jobId"] = job.Id,
            ["jobKind"] = job.Kind,
            ["definition"] = definition,
            ["description"] = job.Description,
            ["state"] = "failed",
            ["errorCode"] = job.ErrorCode,
            ["errorMessage"] = job.ErrorMessage,
            ["started"] = job.Created.ToString("O", CultureInfo.InvariantCulture),
            ["finished"] = job.Finished?.ToString("O", CultureInfo.InvariantCulture),
        });
    }

    /// <summary>The scheduler's report; its <c>missed</c> events are <see cref="NotificationKind.RunMissed"/>.</summary>
    public void ScheduleEvent(ScheduleEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.What != "missed") return;
        Publish(NotificationKind.RunMissed, e.Definition, new Dictionary<string, string?>
        {
            ["definition"] = e.Definition,
            ["message"] = e.Detail,
        });
    }

    /// <summary>The tape library found cartridge <paramref name="volumeSerial"/> unreadable or cut a torn tail off it.</summary>
    public void CartridgeDamaged(string libraryId, string volumeSerial, string problem)
    {
        // Rate-limited: a damaged cartridge stays damaged, and every listing of the library sees it again.
        Publish(NotificationKind.CartridgeDamaged, volumeSerial, new Dictionary<string, string?>
        {
            ["libraryId"] = libraryId,
            ["volumeSerial"] = volumeSerial,
            ["message"] = problem,
        }, rateLimited: true);
    }

    /// <summary>A watched file system is used above <see cref="DiskFullPercent"/> (rate-limited).</summary>
    public void DiskNearlyFull(string what, string path, FileSystemSpace space)
    {
        double used = space.UsedPercent;
        long freeBytes = space.FreeBytes, totalBytes = space.TotalBytes;
        Publish(NotificationKind.DiskNearlyFull, path, new Dictionary<string, string?>
        {
            ["what"] = what,
            ["path"] = path,
            ["usedPercent"] = used.ToString("0.0", CultureInfo.InvariantCulture),
            ["thresholdPercent"] = DiskFullPercent.ToString(CultureInfo.InvariantCulture),
            ["freeBytes"] = freeBytes.ToString(CultureInfo.InvariantCulture),
            ["totalBytes"] = totalBytes.ToString(CultureInfo.InvariantCulture),
        }, rateLimited: true);
    }

    /// <summary>
    /// Catalog and storage disagree about <paramref name="subject"/>: the drift reconcile (Drift/DriftService) found new
    /// findings; sent once per reconcile that found new ones (docs/drift.md).
    /// </summary>
    public void DriftFound(string subject, string message, string? definition = null, string? deviceId = null)
    {
        Publish(NotificationKind.DriftFound, subject, new Dictionary<string, string?>
        {
            ["definition"] = definition,
            ["deviceId"] = deviceId,
            ["message"] = message,
        });
    }
}
