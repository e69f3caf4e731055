using System.Globalization;
using Snapcat.Server.Verify;

namespace Snapcat.Server.Notifications;

// Verify jobs as notifications (docs/notifications.md, docs/verify.md).
public sealed partial class Notifier
{
    /// <summary>A verify was recorded; a mismatch or a failed one is <see cref="NotificationKind.VerifyFailed"/>.</summary>
    public void VerifyRecorded(VerifyRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Outcome is not (VerifyOutcome.Mismatch or VerifyOutcome.Failed)) return;
        Publish(NotificationKind.VerifyFailed, $"backup {run.BackupId.ToString(CultureInfo.InvariantCulture)}", new Dictionary<string, string?>
        {
            ["backupId"] = run.BackupId.ToString(CultureInfo.InvariantCulture),
            ["outcome"] = run.Outcome,
            ["root"] = run.Root,
            ["expectedRoot"] = run.ExpectedRoot,
            ["jobId"] = run.JobId,
            ["plan"] = run.Plan,
            ["error"] = run.Error,
            ["finished"] = run.Finished.ToString("O", CultureInfo.InvariantCulture),
        });
    }
}
