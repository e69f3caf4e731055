namespace Snapcat.Server.Notifications;

/// <summary>
/// One event as it is sent: the webhook's JSON body (camelCase) and the e-mail's content.
/// <c>{ "kind": "run_failed", "time": "2026-12-06T21:40:00+00:00", "server": "backup01", "subject": "nightly",
/// "details": { "jobId": "…", "definition": "nightly", "errorCode": "…", "errorMessage": "…" } }</c>
/// </summary>
/// <param name="Subject">What the event is about: a definition, a cartridge, a file system.</param>
/// <param name="Details">Kind-specific fields (docs/notifications.md lists them); null values are left out.</param>
public sealed record Notification(string Kind, DateTimeOffset Time, string Server, string Subject, IReadOnlyDictionary<string, string?> Details)
{
    /// <summary>One line for a mail subject and the log.</summary>
    public string Summary => Kind switch
    {
        NotificationKind.RunFailed => $"job failed: {Subject}",
        NotificationKind.RunMissed => $"scheduled run missed: {Subject}",
        NotificationKind.CartridgeDamaged => $"tape cartridge damaged: {Subject}",
        NotificationKind.DiskNearlyFull => $"disk nearly full: {Subject}",
        NotificationKind.DriftFound => $"drift found: {Subject}",
        NotificationKind.VerifyFailed => $"verify failed: {Subject}",
        _ => $"{Kind}: {Subject}",
    };
}
